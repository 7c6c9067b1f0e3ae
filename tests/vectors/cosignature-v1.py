#!/usr/bin/env python3
"""Independent C2SP tlog-cosignature (cosignature/v1, Ed25519) test vector, written from the spec text
(https://c2sp.org/tlog-cosignature) with Python's `cryptography`, not from modelsec's TypeScript.
Run: ${MODELSEC_PYTHON:-/usr/bin/python3} tests/vectors/cosignature-v1.py  (output pasted in tests/core/tlog/cosignature.test.ts)
"""
import base64
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

seed = hashlib.sha256(b"modelsec cosignature/v1 test vector").digest()
name = "witness.example/w1"
key = Ed25519PrivateKey.from_private_bytes(seed)
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + pub).digest()[:4]
ALG = b"\x04"
vkey = "%s+%s+%s" % (name, key_id.hex(), base64.b64encode(ALG + pub).decode())
skey = "PRIVATE+KEY+%s+%s+%s" % (name, key_id.hex(), base64.b64encode(ALG + seed).decode())
body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
timestamp = 1679315147
message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
sig = key.sign(message)
line = "\u2014 %s %s" % (name, base64.b64encode(key_id + struct.pack(">Q", timestamp) + sig).decode())
print("SEED_HEX", seed.hex())
print("VKEY", vkey)
print("SKEY", skey)
print("LINE", line)
