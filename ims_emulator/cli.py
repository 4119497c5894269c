"""`ims-emulator serve|...`: the command line. Every serve flag has an IMS_EMULATOR_* twin."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ims_emulator import __version__, coverage
from ims_emulator.proxy import cli as proxy_cli
from ims_emulator.settings import AUTH_MODES, Settings, env_defaults

SNIPPET = """\
ims-emulator {version} listening on {bound}  (auth={auth}, region={region}, db={db})
Point the official SDK at it:
  from huaweicloudsdkcore.auth.credentials import BasicCredentials
  from huaweicloudsdkims.v2 import ImsClient, ListImagesRequest
  {creds}
  client = ImsClient.new_builder().with_credentials(creds).with_endpoints(["{url}"]).build()
  print(client.list_images(ListImagesRequest(limit=5)))"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ims-emulator",
        description="Local emulator of Huawei Cloud IMS and CSBS (with ECS/EVS/CBR slices).",
        epilog="Every serve option can also be set by an environment variable IMS_EMULATOR_<OPTION> "
               "(e.g. IMS_EMULATOR_PORT=9000, IMS_EMULATOR_TRANSITIONS=default=polls:3).")
    parser.add_argument("--version", action="version", version=f"ims-emulator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator HTTP server",
                           description="Run the emulator. Flags override IMS_EMULATOR_* variables.")
    serve.add_argument("--host", help="address to bind (IMS_EMULATOR_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind, 0 = any free port (IMS_EMULATOR_PORT; default 8085)")
    serve.add_argument("--db", help="sqlite file, or :memory: (IMS_EMULATOR_DB; default .ims-emulator/state.db)")
    serve.add_argument("--world", help="default | none | a world JSON or YAML file, seeded into an empty store "
                                       "(IMS_EMULATOR_WORLD)")
    serve.add_argument("--region", help="region of projects first seen (IMS_EMULATOR_REGION; default cn-north-4)")
    serve.add_argument("--auth", choices=AUTH_MODES, help="off: accept anything; loose: need Authorization or "
                       "X-Auth-Token; strict: verify SDK-HMAC-SHA256 against --credentials (IMS_EMULATOR_AUTH)")
    serve.add_argument("--credentials", help="AK:SK[,AK:SK...] accepted in strict mode; AK:SK@P1+P2 limits a key to "
                       "those projects (IMS_EMULATOR_CREDENTIALS: keeps the secrets out of ps)")
    serve.add_argument("--credentials-file", dest="credentials_file",
                       help="the same in a file, or JSON with projects and domains (IMS_EMULATOR_CREDENTIALS_FILE)")
    serve.add_argument("--control-token", dest="control_token",
                       help="a token /_emulator/* then requires as X-Emulator-Token (IMS_EMULATOR_CONTROL_TOKEN)")
    serve.add_argument("--transitions", help="how long async work takes: instant | polls:N | seconds:X | manual, "
                       "or per operation: default=instant,csbs.protect=polls:3 (IMS_EMULATOR_TRANSITIONS)")
    serve.add_argument("--workers", type=int, help="worker processes sharing the sqlite file (IMS_EMULATOR_WORKERS; "
                                                   "default 1)")
    serve.add_argument("--threads", type=int, help="threads per worker process with --workers N "
                       "(IMS_EMULATOR_THREADS; default 2: the best tail latency on a small machine, see Load)")
    serve.add_argument("--log-format", dest="log_format", choices=("text", "json"),
                       help="access log format (IMS_EMULATOR_LOG_FORMAT)")
    serve.add_argument("--log-bodies", dest="log_bodies", action="store_true", default=None,
                       help="log request/response bodies, secrets masked (IMS_EMULATOR_LOG_BODIES)")
    serve.add_argument("--quiet", action="store_true", default=None, help="no access log (IMS_EMULATOR_QUIET)")
    proxy_cli.add_parsers(sub)  # record | parity (ims_emulator/proxy/cli.py)
    coverage.add_parser(sub)  # coverage (ims_emulator/coverage/)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    values = env_defaults()
    for key, value in vars(args).items():
        if key != "command" and value is not None:
            values[key] = value
    return Settings(**values)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in proxy_cli.COMMANDS:
        return proxy_cli.run(args)
    if args.command == "coverage":
        return coverage.run(args)
    try:
        settings = settings_from(args)
    except ValueError as exc:
        print(f"ims-emulator: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from ims_emulator.server import serve
        from ims_emulator.store.db import StoreVersionError
        try:
            return serve(settings, SNIPPET)
        except (ValueError, StoreVersionError) as exc:  # a setting only the app can check; a newer store file
            print(f"ims-emulator: {exc}", file=sys.stderr)
            return 2
    return 2
