from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class CpuHeavyCall(BlockingCallRule):
    """
    ## What it does
    Finds CPU-heavy calls on the event loop inside an `async def`: key-derivation and
    password hashing (`hashlib.pbkdf2_hmac`, `hashlib.scrypt`, `bcrypt`,
    `argon2.PasswordHasher`, `passlib`) and RSA/DSA key generation. With `cpu-heavy-size-dependent = true` also calls that are heavy on large inputs
    (`zlib`/`gzip`/`bz2`/`lzma`, `json`, `pickle`, `pandas.read_*`, `PIL.Image.open`);
    with `blocking-imports = true` also `importlib.import_module` and `__import__`.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    A password hash is slow on purpose (often 100 ms or more); no other task runs while
    it computes.

    ## Example
        import bcrypt

        async def check(password, hashed):
            return bcrypt.checkpw(password, hashed)

    ## Use instead
        import asyncio

        import bcrypt

        async def check(password, hashed):
            return await asyncio.to_thread(bcrypt.checkpw, password, hashed)

    ## Fix safety
    Unsafe, for the key-derivation and hashing functions in a whole statement or the
    right-hand side of an assignment: the call becomes `await asyncio.to_thread(...)`.
    OpenSSL-backed functions release the GIL; pure-Python ones may need a process pool
    instead.
    """

    code = "ASL114"
    name = "cpu-heavy-call"
    message = "`{name}()` is CPU-heavy and blocks the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    triggers = (
        "async",
        (
            "hashlib",
            "bcrypt",
            "argon2",
            "passlib",
            "cryptography",
            "zlib",
            "gzip",
            "bz2",
            "lzma",
            "json",
            "pickle",
            "pandas",
            "PIL",
            "importlib",
            "__import__",
        ),
    )
