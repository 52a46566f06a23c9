"""Run one task in the OpenHands SDK and print its events and a JSON summary on stdout.

Not imported by skvmc: ``skvmc bench --harness openhands`` runs this file with the Python of
the OpenHands virtualenv (it needs Python >= 3.12, openhands-sdk and openhands-tools; see
docs/harnesses.md), in the task's workdir, in its own process group::

    python openhands_runner.py --base-url http://127.0.0.1:PORT/v1 --model NAME \
        [--max-tokens N] [--n-ctx N] [--max-iterations N] INSTRUCTION

The agent is the SDK's default one for the CLI (``openhands.tools.preset.default``: the
terminal, file_editor and task_tracker tools, the built-in finish and think tools, no
browser) over ``LLM(model="openai/NAME", base_url=...)``; its context carries the project
skills ``load_project_skills(cwd)`` finds (``.agents/skills``, ``.openhands/skills``,
``.openhands/microagents``, and AGENTS.md). Only the standard library and the SDK are used.

stdout, one JSON object per line (stderr gets the SDK's logs and anything else printed):
  {"type": "skills", "skills": [names]}          the project skills loaded
  {"type": "event", "kind": CLASS, ...}          each conversation event, as the SDK dumps it
  {"type": "usage", "usage_id": ID, "prompt_tokens": P, "completion_tokens": C}
                                                  each model call, as soon as it is seen
  {"type": "summary", "status": ..., "model_calls": N, "prompt_tokens": P,
   "completion_tokens": C, "turns": [[P, C], ...], "error": TEXT}   at the end
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path


def _args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", required=True, help="the served model's name")
    ap.add_argument("--max-tokens", type=int, default=1024)
    ap.add_argument("--n-ctx", type=int, default=16384)
    ap.add_argument("--max-iterations", type=int, default=50)
    ap.add_argument("instruction")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = _args(argv)
    # Our JSON lines go to the real stdout; everything else the SDK prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(obj) -> None:
        out.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        out.flush()

    turns: list[list[int]] = []
    seen: dict[str, int] = {}
    summary = {"type": "summary", "status": "error", "error": ""}
    conversation = None
    try:
        from openhands.sdk import (
            LLM,
            Agent,
            AgentContext,
            Conversation,
            Tool,
            load_project_skills,
        )
        from openhands.tools.file_editor import FileEditorTool
        from openhands.tools.preset.default import get_default_condenser
        from openhands.tools.task_tracker import TaskTrackerTool
        from openhands.tools.terminal import TerminalTool

        workdir = Path.cwd()
        skills = load_project_skills(workdir)
        emit({"type": "skills", "skills": [s.name for s in skills]})
        llm = LLM(model=f"openai/{args.model}", base_url=args.base_url, api_key="none",
                  usage_id="agent", max_output_tokens=args.max_tokens,
                  max_input_tokens=args.n_ctx, temperature=0.0,
                  # one slow local model: no retries of an expensive call, no 300 s cut;
                  # the bench's per-run timeout bounds the run
                  num_retries=0, timeout=None, stream_idle_timeout=None,
                  native_tool_calling=True, caching_prompt=False)
        tools = [
            # subprocess, not tmux: a tmux server leaves the process group, and the
            # bench's timeout kills the group
            Tool(name=TerminalTool.name, params={"terminal_type": "subprocess"}),
            Tool(name=FileEditorTool.name),
            Tool(name=TaskTrackerTool.name),
        ]
        agent = Agent(llm=llm, tools=tools, system_prompt_kwargs={"cli_mode": True},
                      condenser=get_default_condenser(
                          llm.model_copy(update={"usage_id": "condenser"})),
                      agent_context=AgentContext(skills=skills))

        def usage_lines() -> None:
            if conversation is None:
                return
            for uid, metrics in conversation.conversation_stats.usage_to_metrics.items():
                usages = metrics.token_usages
                for u in usages[seen.get(uid, 0):]:
                    turns.append([u.prompt_tokens, u.completion_tokens])
                    emit({"type": "usage", "usage_id": uid, "prompt_tokens": u.prompt_tokens,
                          "completion_tokens": u.completion_tokens})
                seen[uid] = len(usages)

        def on_event(event) -> None:
            usage_lines()
            try:
                data = event.model_dump(mode="json")
            except Exception:  # noqa: BLE001 - keep the run going, note what it was
                data = {"repr": repr(event)[:2000]}
            emit({"type": "event", "kind": type(event).__name__, **data})

        conversation = Conversation(agent=agent, workspace=str(workdir), callbacks=[on_event],
                                    visualizer=None, max_iteration_per_run=args.max_iterations,
                                    persistence_dir=None)
        conversation.send_message(args.instruction)
        conversation.run()
        usage_lines()
        status = conversation.state.execution_status
        summary["status"] = getattr(status, "value", str(status))
    except BaseException as exc:  # noqa: BLE001 - reported in the summary
        summary["error"] = f"{type(exc).__name__}: {exc}"[:600]
        traceback.print_exc()
    finally:
        try:
            if conversation is not None:
                usage_lines()
        except Exception:  # noqa: BLE001
            pass
        summary.update(model_calls=len(turns), prompt_tokens=sum(t[0] for t in turns),
                       completion_tokens=sum(t[1] for t in turns), turns=turns)
        emit(summary)
        if conversation is not None:
            try:
                conversation.close()
            except Exception:  # noqa: BLE001
                pass
    return 0 if summary["status"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
