"""wechat_bot: speaks WeChat (webhook, replies, QR codes) and calls feedback_api services."""
