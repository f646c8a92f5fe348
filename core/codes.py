"""Short unguessable codes for share links and referrals."""

import secrets

# No 0/O/1/I/L: codes are read aloud and typed from posters.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
