// An independent MCP client for the interop suite, built on the official Go SDK: it connects to a podmcp
// sidecar over stdio (starting the sidecar itself with CommandTransport) or over Streamable HTTP
// (StreamableClientTransport), runs one fixed session and prints what it saw as one JSON object on stdout.
//
//	podmcp-interop-go [-protocol-version V] -transport stdio [-env NAME=VALUE]... -- COMMAND [ARG]...
//	podmcp-interop-go [-protocol-version V] -transport http -url http://127.0.0.1:PORT/mcp
//
// -protocol-version is ClientSessionOptions.ProtocolVersion: empty (the SDK's default, 2026-07-28) or
// 2026-07-28 probes server/discover and falls back to initialize on any error, silently; a 2025 version
// forces initialize. The summary's server.protocolVersion is what the session negotiated, so a caller
// asserting the modern era sees a fallback.
//
// Failures of single steps are recorded in "errors" rather than aborting, so one broken method does not hide
// the others; the exit code is 1 when anything failed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

type toolCall struct {
	IsError    bool   `json:"isError"`
	Structured any    `json:"structured"`
	Text       string `json:"text"`
}

type resourceRead struct {
	URI      string `json:"uri"`
	MIMEType string `json:"mimeType"`
	Text     string `json:"text"`
}

type promptGet struct {
	Messages int    `json:"messages"`
	Text     string `json:"text"`
}

type summary struct {
	Client    map[string]string `json:"client"`
	Transport string            `json:"transport"`
	Mode      string            `json:"mode"`
	Server    map[string]string `json:"server"`
	Tools     []string          `json:"tools"`
	ListPods  *toolCall         `json:"listPods"`
	Resources []string          `json:"resources"`
	Self      *resourceRead     `json:"self"`
	Prompts   []string          `json:"prompts"`
	Prompt    *promptGet        `json:"prompt"`
	Errors    []string          `json:"errors"`
}

func sdkVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/modelcontextprotocol/go-sdk" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func textOf(contents []mcp.Content) string {
	var parts []string
	for _, content := range contents {
		if text, ok := content.(*mcp.TextContent); ok {
			parts = append(parts, text.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func main() {
	transportName := flag.String("transport", "stdio", "stdio or http")
	url := flag.String("url", "", "the Streamable HTTP endpoint (http transport)")
	timeout := flag.Duration("timeout", 60*time.Second, "for the whole session")
	protocolVersion := flag.String("protocol-version", "", "asked of the server; empty for the SDK's default")
	var env envFlags
	flag.Var(&env, "env", "NAME=VALUE for the server process (stdio transport); repeatable")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var transport mcp.Transport
	switch *transportName {
	case "stdio":
		args := flag.Args()
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "stdio needs the server command after --")
			os.Exit(2)
		}
		cmd := exec.Command(args[0], args[1:]...)
		// Exactly the environment given, so the server sees no credentials of ours.
		cmd.Env = append([]string{}, env...)
		cmd.Stderr = os.Stderr
		transport = &mcp.CommandTransport{Command: cmd}
	case "http":
		if *url == "" {
			fmt.Fprintln(os.Stderr, "http needs -url")
			os.Exit(2)
		}
		transport = &mcp.StreamableClientTransport{Endpoint: *url, MaxRetries: -1}
	default:
		fmt.Fprintf(os.Stderr, "unknown transport %q\n", *transportName)
		os.Exit(2)
	}

	out := summary{
		Client:    map[string]string{"name": "go-sdk", "version": sdkVersion()},
		Transport: *transportName,
		Mode:      *protocolVersion,
		Tools:     []string{},
		Resources: []string{},
		Prompts:   []string{},
		Errors:    []string{},
	}
	fail := func(step string, err error) { out.Errors = append(out.Errors, fmt.Sprintf("%s: %v", step, err)) }

	client := mcp.NewClient(&mcp.Implementation{Name: "podmcp-interop-go", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: *protocolVersion})
	if err != nil {
		fail("connect", err)
		emit(out)
		os.Exit(1)
	}
	if init := session.InitializeResult(); init != nil {
		era := "legacy"
		// Versions are dates, so they order as strings; the discover handshake yields 2026-07-28 or later.
		if init.ProtocolVersion >= "2026-07-28" {
			era = "modern"
		}
		out.Server = map[string]string{"protocolVersion": init.ProtocolVersion, "era": era}
		if init.ServerInfo != nil {
			out.Server["name"] = init.ServerInfo.Name
			out.Server["version"] = init.ServerInfo.Version
		}
	}

	if tools, err := session.ListTools(ctx, nil); err != nil {
		fail("tools/list", err)
	} else {
		for _, tool := range tools.Tools {
			out.Tools = append(out.Tools, tool.Name)
		}
	}

	if result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "list_pods", Arguments: map[string]any{}}); err != nil {
		fail("tools/call list_pods", err)
	} else {
		out.ListPods = &toolCall{IsError: result.IsError, Structured: result.StructuredContent, Text: textOf(result.Content)}
	}

	if resources, err := session.ListResources(ctx, nil); err != nil {
		fail("resources/list", err)
	} else {
		for _, resource := range resources.Resources {
			out.Resources = append(out.Resources, resource.URI)
		}
	}

	if read, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "podmcp://self"}); err != nil {
		fail("resources/read podmcp://self", err)
	} else if len(read.Contents) == 0 {
		fail("resources/read podmcp://self", fmt.Errorf("no contents"))
	} else {
		first := read.Contents[0]
		out.Self = &resourceRead{URI: first.URI, MIMEType: first.MIMEType, Text: first.Text}
	}

	if prompts, err := session.ListPrompts(ctx, nil); err != nil {
		fail("prompts/list", err)
	} else {
		for _, prompt := range prompts.Prompts {
			out.Prompts = append(out.Prompts, prompt.Name)
		}
	}

	if prompt, err := session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "namespace_health"}); err != nil {
		fail("prompts/get namespace_health", err)
	} else {
		var texts []string
		for _, message := range prompt.Messages {
			if text, ok := message.Content.(*mcp.TextContent); ok {
				texts = append(texts, text.Text)
			}
		}
		out.Prompt = &promptGet{Messages: len(prompt.Messages), Text: strings.Join(texts, "\n")}
	}

	if err := session.Close(); err != nil {
		fail("close", err)
	}
	emit(out)
	if len(out.Errors) > 0 {
		os.Exit(1)
	}
}

func emit(out summary) {
	encoder := json.NewEncoder(os.Stdout)
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
