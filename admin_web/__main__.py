"""``python -m admin_web`` runs the window-watch CLI, like the console script."""

from admin_web.app import main

main()
