"""A throwaway TLS certificate, made by openssl (Debian's openssl package) for one run only."""

import os
import subprocess

import prerequisites


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost; returns (cert, key) paths."""
    prerequisites.require_commands("openssl", package_hint="Debian's openssl")
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key
