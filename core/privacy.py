"""Personal data as non-staff may see it."""


def mask_phone(phone: str) -> str:
    """+8613800138000 → +86138****8000: enough to recognise one's own number."""
    if not phone:
        return ""
    return phone[:6] + "****" + phone[-4:] if len(phone) > 10 else "****"
