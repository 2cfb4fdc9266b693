"""Saves a workbook as an .xls with an opening password ("secret"), through LibreOffice's UNO API
(its command line cannot set one). Run by make_fixtures.py with the system Python, which has the
uno module (Debian: python3-uno): python3 save_locked_xls.py IN.xlsx OUT.xls"""

import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def main(source, target):
    with tempfile.TemporaryDirectory() as profile:
        office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                                   "--accept=pipe,name=wwfixtures;urp;",
                                   "-env:UserInstallation=" + uno.systemPathToFileUrl(profile)])
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(60):
            try:
                ctx = resolver.resolve("uno:pipe,name=wwfixtures;urp;StarOffice.ComponentContext")
                break
            except Exception:  # not listening yet
                time.sleep(0.5)
        else:
            office.kill()
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (_prop("Hidden", True),))
        doc.storeToURL(uno.systemPathToFileUrl(target), (_prop("FilterName", "MS Excel 97"), _prop("Password", "secret")))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge goes down with the office
            pass
        office.wait(timeout=60)


if __name__ == "__main__":
    main(*sys.argv[1:3])
