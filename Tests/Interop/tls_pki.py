"""A throwaway public key infrastructure for the TLS tests, made with the openssl command."""

import subprocess
from pathlib import Path


class PKI:
    """A test certificate authority, server and client certificates (P-256), made with openssl."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ca = self._authority("ca", "workflowd test CA")
        self.rogue_ca = self._authority("rogue-ca", "someone else's CA")
        self.server = self._leaf("server", "workflowd", self.ca, server=True)
        self.renewed_server = self._leaf("renewed-server", "workflowd renewed", self.ca, server=True)
        self.client = self._leaf("client", "svc-orders", self.ca, server=False)
        self.rogue_client = self._leaf("rogue-client", "svc-intruder", self.rogue_ca, server=False)

    def _openssl(self, *arguments: str) -> None:
        subprocess.run(["openssl", *arguments], cwd=self.directory, check=True, capture_output=True)

    def _authority(self, name: str, common_name: str) -> tuple[Path, Path]:
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "3650", "-subj", f"/CN={common_name}")
        return self.directory / f"{name}.crt", self.directory / f"{name}.key"

    def _leaf(self, name: str, common_name: str, authority: tuple[Path, Path], server: bool) -> tuple[Path, Path]:
        extensions = self.directory / f"{name}.ext"
        if server:
            extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        else:
            extensions.write_text("extendedKeyUsage=clientAuth\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={common_name}")
        self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", str(authority[0]), "-CAkey", str(authority[1]),
                      "-CAcreateserial", "-out", f"{name}.crt", "-days", "3650", "-extfile", extensions.name)
        return self.directory / f"{name}.crt", self.directory / f"{name}.key"
