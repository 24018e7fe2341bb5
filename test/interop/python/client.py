"""An independent MCP client for the interop suite, built on the official MCP Python SDK.

It connects to a podmcp sidecar over stdio (starting the sidecar itself) or over Streamable HTTP, runs one
fixed session and prints what it saw as one JSON object on stdout:

    client.py [--era legacy|auto|2026-07-28] stdio [--env NAME=VALUE]... [--cwd DIR] -- COMMAND [ARG]...
    client.py [--era legacy|auto|2026-07-28] http URL

--era is the SDK's `Client(mode=...)`: "legacy" forces the 2025 initialize handshake, "auto" (the SDK's
default) probes server/discover and falls back to initialize, "2026-07-28" adopts that version without a
probe. The summary's server.protocolVersion is the version the connection actually negotiated, and
server.era says which handshake produced it, so a modern run that fell back cannot look modern.

Failures of single steps are recorded in "errors" rather than aborting, so one broken method does not hide
the others; the exit code is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo"


def text_of(contents: Any) -> str:
    return "\n".join(getattr(part, "text", "") or "" for part in contents or [])


def identify(client: Client, stamp: Any) -> dict[str, str]:
    """Who answered, at which version. A pinned modern connection makes no probe, so its server's name comes
    from the serverInfo stamp in a result's _meta (which only 2026-07-28 results carry)."""
    info = client.server_info
    name = info.name if info is not None else (stamp or {}).get("name", "")
    version_ = info.version if info is not None else (stamp or {}).get("version", "")
    return {
        "name": name,
        "version": version_,
        "protocolVersion": client.protocol_version,
        "era": "legacy" if client.session.initialize_result is not None else "modern",
    }


async def exercise(client: Client, out: dict[str, Any]) -> None:
    errors: list[str] = out["errors"]

    async def step(name: str, action: Any) -> None:
        try:
            await action()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none aborts the session
            errors.append(f"{name}: {type(error).__name__}: {error}")

    async def list_tools() -> None:
        result = await client.list_tools()
        out["tools"] = [tool.name for tool in result.tools]
        out["server"] = identify(client, (result.meta or {}).get(SERVER_INFO_META_KEY))

    async def call_list_pods() -> None:
        result = await client.call_tool("list_pods", {})
        out["listPods"] = {
            "isError": bool(result.is_error),
            "structured": result.structured_content,
            "text": text_of(result.content),
        }

    async def list_resources() -> None:
        out["resources"] = [str(resource.uri) for resource in (await client.list_resources()).resources]

    async def read_self() -> None:
        contents = (await client.read_resource("podmcp://self")).contents
        if not contents:
            raise RuntimeError("no contents")
        first = contents[0]
        out["self"] = {
            "uri": str(first.uri),
            "mimeType": first.mime_type,
            "text": getattr(first, "text", ""),
        }

    async def list_prompts() -> None:
        out["prompts"] = [prompt.name for prompt in (await client.list_prompts()).prompts]

    async def get_prompt() -> None:
        messages = (await client.get_prompt("namespace_health", {})).messages
        out["prompt"] = {
            "messages": len(messages),
            "text": "\n".join(getattr(message.content, "text", "") or "" for message in messages),
        }

    await step("tools/list", list_tools)
    if out["server"] is None:
        out["server"] = identify(client, None)
    await step("tools/call list_pods", call_list_pods)
    await step("resources/list", list_resources)
    await step("resources/read podmcp://self", read_self)
    await step("prompts/list", list_prompts)
    await step("prompts/get namespace_health", get_prompt)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client": {"name": "python-sdk", "version": version("mcp")},
        "transport": args.transport,
        "mode": args.era,
        "server": None,
        "tools": [],
        "listPods": None,
        "resources": [],
        "self": None,
        "prompts": [],
        "prompt": None,
        "errors": [],
    }
    try:
        with anyio.fail_after(args.timeout):
            if args.transport == "stdio":
                env = dict(item.split("=", 1) for item in args.env)
                server: Any = StdioServerParameters(
                    command=args.command[0], args=args.command[1:], env=env, cwd=args.cwd
                )
            else:
                server = args.url
            # No response cache: every step must reach the sidecar.
            async with Client(server, mode=args.era, cache=None) as client:
                await exercise(client, out)
    except BaseException as error:  # noqa: BLE001 - transport failures and timeouts are reported too
        if isinstance(error, KeyboardInterrupt):
            raise
        out["errors"].append(f"session: {type(error).__name__}: {error!r}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=60.0, help="for the whole session, in seconds")
    parser.add_argument(
        "--era",
        choices=["legacy", "auto", "2026-07-28"],
        default="auto",
        help="Client(mode=...): force the 2025 handshake, probe and fall back (the default), or pin 2026-07-28",
    )
    transports = parser.add_subparsers(dest="transport", required=True)
    stdio = transports.add_parser("stdio")
    stdio.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server; repeatable")
    stdio.add_argument("--cwd", default=None)
    stdio.add_argument("command", nargs="+")
    http = transports.add_parser("http")
    http.add_argument("url")
    args = parser.parse_args()
    out = anyio.run(run, args)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
