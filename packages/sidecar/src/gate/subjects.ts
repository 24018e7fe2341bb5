/**
 * Tools, resources and prompts seen the one way the gate needs: parse the arguments, run, and say how the
 * result leaves. A tool answers structured data and its rendering; a resource or a prompt answers text.
 */
import type { z } from 'zod';
import type { ServiceContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import type { PromptDefinition } from '../prompts/definition.ts';
import type { ResourceDefinition } from '../resources/definition.ts';
import type { ToolDefinition } from '../tools/definition.ts';
import { clip } from './budget.ts';
import type { Answer, Parsed, Subject } from './call.ts';

/** Built once per definition: a stateless HTTP sidecar makes a server for every request. */
const toolSubjects = new WeakMap<ToolDefinition, Subject>();

export function toolSubject(tool: ToolDefinition): Subject {
  let subject = toolSubjects.get(tool);
  if (!subject) {
    subject = {
      what: tool.title,
      acts: !tool.hints.readOnlyHint,
      parse: (raw) => {
        const parsed = tool.input.safeParse(raw);
        return parsed.success
          ? { ok: true, input: parsed.data }
          : { ok: false, message: describeInvalidArguments(tool.name, parsed.error) };
      },
      target: tool.target as Subject['target'],
      run: (input, context) => tool.run(input as never, context),
      answer: (result) => ({
        structured: result,
        render: (structured) => tool.render(structured as never),
        clean: (text) => text,
      }),
    };
    toolSubjects.set(tool, subject);
  }
  return subject;
}

/** Problems named in one answer: enough to fix a call, few enough that a flood of bad names stays small. */
const PROBLEMS_NAMED = 20;
/** An argument's name or a problem is echoed this far (an unknown argument's name may be 1 MB long). */
const ECHO_CHARS = 200;

export function describeInvalidArguments(tool: string, error: z.ZodError): string {
  const problems = error.issues.slice(0, PROBLEMS_NAMED).map((issue) => {
    const path =
      issue.path.length > 0 ? issue.path.map((part) => clip(String(part), ECHO_CHARS)).join('.') : 'arguments';
    return `${path}: ${clip(issue.message, ECHO_CHARS)}`;
  });
  const more = error.issues.length - problems.length;
  const also = more > 0 ? `; and ${more} more` : '';
  return `Invalid arguments for ${tool}: ${problems.join('; ')}${also}. Fix them and call again.`;
}

/** A resource read: the URI's template variables are its arguments, already matched. */
export function resourceSubject(
  resource: ResourceDefinition,
  uri: string,
  variables: Readonly<Record<string, string>>,
): Subject {
  return {
    what: uri,
    acts: false,
    parse: () => ({ ok: true, input: variables }),
    run: (input, context) => resource.read(input as Readonly<Record<string, string>>, context),
    answer: textAnswer,
  };
}

/** A request that names something the gate can only refuse: its input is bad before any lookup (invalid). */
export function refusedSubject(what: string, message: string): Subject {
  return {
    what,
    acts: false,
    parse: () => ({ ok: false, message }),
    run: async () => {
      throw new ToolFailure(message, 'invalid');
    },
    answer: textAnswer,
  };
}

export function promptSubject(prompt: PromptDefinition): Subject {
  return {
    what: prompt.title,
    acts: false,
    parse: (raw) => parsePromptArguments(prompt, raw),
    run: (input, context: ServiceContext) => prompt.build(input as Readonly<Record<string, string>>, context),
    answer: textAnswer,
  };
}

function parsePromptArguments(prompt: PromptDefinition, raw: Readonly<Record<string, unknown>>): Parsed {
  const missing = prompt.arguments.filter((argument) => argument.required && !raw[argument.name]);
  if (missing.length > 0) return { ok: false, message: `Missing argument: ${missing.map((a) => a.name).join(', ')}` };
  return { ok: true, input: raw };
}

function textAnswer(result: unknown): Answer {
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return { structured: undefined, render: () => text, clean: (message) => message };
}
