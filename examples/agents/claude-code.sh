#!/bin/sh
# Claude Code: register the checkout Deployment's podmcp sidecar as an MCP server (stdio). Everything after
# `--` is the command Claude Code starts; it uses your current kubeconfig context.
claude mcp add podmcp-checkout -- npx podmcp connect deploy/checkout

# Another namespace and context:
claude mcp add podmcp-db-staging -- npx podmcp connect --context staging -n shop sts/db
