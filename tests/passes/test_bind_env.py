"""bind-env: snapshots per fixture, the module->distribution map, stdlib, vars, paths, corpus."""

from pathlib import Path

import pytest

from skvmc.passes.analysis.pydeps import distribution_for, is_stdlib, npm_package
from skvmc.passes.bind_env import is_secret, python_imports, shell_commands
from skvmc.printer import print_module
from tests.conftest import REPO, corpus_params, ops_named, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "env"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())


def run(module, pipeline="bind-env"):
    return run_passes(module, pipeline)


env_ops = ops_named


@pytest.mark.parametrize("case", CASES)
def test_snapshot(case, snapshot_skir):
    out, _ = run(parse_fixture(FIXTURES / case))
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("module, dist", [
    ("yaml", "pyyaml"), ("PIL", "pillow"), ("cv2", "opencv-python"), ("bs4", "beautifulsoup4"),
    ("sklearn", "scikit-learn"), ("docx", "python-docx"), ("pptx", "python-pptx"),
    ("fitz", "pymupdf"), ("dateutil", "python-dateutil"), ("dotenv", "python-dotenv"),
    ("jwt", "pyjwt"), ("magic", "python-magic"), ("serial", "pyserial"),
    ("Crypto", "pycryptodome"), ("google.protobuf", "protobuf"), ("attr", "attrs"),
    ("OpenSSL", "pyopenssl"), ("skimage", "scikit-image"), ("mpl_toolkits", "matplotlib"),
    ("mpl_toolkits.mplot3d", "matplotlib"), ("matplotlib.pyplot", "matplotlib"),
    ("lxml.etree", "lxml"), ("playwright.sync_api", "playwright"), ("requests", "requests"),
])
def test_distribution_map(module, dist):
    assert distribution_for(module) == dist


@pytest.mark.parametrize("module, stdlib", [
    ("json", True), ("csv", True), ("tomllib", True), ("os.path", True), ("__future__", True),
    ("yaml", False), ("numpy", False),
])
def test_stdlib(module, stdlib):
    assert is_stdlib(module) is stdlib


def test_npm_package_names():
    assert npm_package("fs") is None and npm_package("node:path") is None
    assert npm_package("./util") is None
    assert npm_package("lodash/fp") == "lodash"
    assert npm_package("@scope/pkg/sub") == "@scope/pkg"


@pytest.mark.parametrize("name, secret", [
    ("GITHUB_TOKEN", True), ("OPENAI_API_KEY", True), ("DB_PASSWORD", True),
    ("CLIENT_SECRET", True), ("AWS_REGION", False), ("PORT", False),
])
def test_secrets(name, secret):
    assert is_secret(name) is secret


def test_python_imports_ast_and_fallback():
    assert python_imports("import a.b, c\nfrom d import e\nfrom . import f\n") == ["a.b", "c", "d"]
    assert python_imports("import yaml\ndef broken(:\n") == ["yaml"]


def test_shell_commands_split_pipelines_and_heredocs():
    cmds = shell_commands("a x | b y && c; d $(e z)\ncat <<EOF\nnot run\nEOF\n")
    firsts = [c[0] for c in cmds]
    assert firsts[:3] == ["a", "b", "c"] and "cat" in firsts and "e" in firsts
    assert "not" not in firsts


@pytest.fixture(scope="module")
def deps_case():
    return run(parse_fixture(FIXTURES / "deps-and-secrets"))


def test_deps(deps_case):
    out, ctx = deps_case
    deps = {(op.attr("manager"), op.attr("name")): op for op in env_ops(out, "env.dep")}
    for want in [("pip", "pyyaml"), ("pip", "pillow"), ("pip", "opencv-python"),
                 ("pip", "beautifulsoup4"), ("pip", "scikit-learn"), ("pip", "python-docx"),
                 ("pip", "protobuf"), ("pip", "pandas"), ("pip", "python-dateutil"),
                 ("pip", "pytest"), ("pip", "requests"),
                 ("npm", "@mermaid-js/mermaid-cli"), ("npm", "sharp"),
                 ("npm", "express"), ("npm", "zod"),
                 ("system", "jq"), ("system", "ffmpeg"), ("system", "curl"),
                 ("system", "python3"), ("service", "postgres"), ("service", "redis"),
                 ("service", "localhost:3000")]:
        assert want in deps, want
    assert ("npm", "playwright") not in deps  # `npx playwright` fetches it on demand
    assert deps[("pip", "requests")].attr("version") == ">=2.31"
    assert deps[("npm", "@mermaid-js/mermaid-cli")].attr("version") == "10.9.0"
    assert deps[("pip", "pyyaml")].attr("module") == "yaml"
    names = {n for _, n in deps}
    # stdlib, bundled modules, shell builtins, node builtins and heredoc bodies are not deps
    for absent in ("json", "csv", "tomllib", "os", "helpers", "scripts", "render", "export",
                   "echo", "for", "fs", "not", "setup.sh"):
        assert absent not in names, absent
    assert [d["name"] for d in ctx.report["bind-env"]["deps"]] == [n for _, n in deps]


def test_vars(deps_case):
    out, _ = deps_case
    vars_ = {op.attr("name"): op.attr("secret") for op in env_ops(out, "env.var")}
    assert vars_ == {"API_KEY": True, "AWS_REGION": False, "BASE_URL": False,
                     "DB_PASSWORD": True, "GITHUB_TOKEN": True, "OPENAI_API_KEY": True,
                     "PORT": False}  # OUT_DIR and f are set by the skill itself


def test_paths_bound(deps_case):
    out, ctx = deps_case
    paths = {op.attr("name"): op.attr("value") for op in env_ops(out, "env.path")}
    assert paths["scripts/render.py"] == "$SKILL_DIR/scripts/render.py"
    assert ctx.report["bind-env"]["paths"] == paths
    bash = next(op for op in out.walk() if op.name == "skill.code" and op.attr("lang") == "bash")
    assert "sh $SKILL_DIR/scripts/setup.sh && $SKILL_DIR/scripts/setup.sh" in bash.attr("body")
    step = next(op for op in out.walk() if op.name == "skill.step" and op.attr("number") == 2)
    assert "`python $SKILL_DIR/scripts/render.py --out report.docx`" in step.attr("text")
    py = next(op for op in out.walk() if op.name == "skill.code" and op.attr("lang") == "python")
    assert "$SKILL_DIR" not in py.attr("body")  # Python does not expand shell variables


def test_env_ops_at_top_and_idempotent(deps_case):
    out, _ = deps_case
    names = [op.name for op in out.body]
    i = names.index("env.requires")
    assert all(n in ("skill.frontmatter", "skill.ref") for n in names[:i])
    again, _ = run(out)
    def codes(m):
        return [op.attr("body") for op in m.walk() if op.name == "skill.code"]
    assert codes(again) == codes(out)  # bound paths are not bound twice
    assert len(env_ops(again, "env.requires")) == 1
    assert env_ops(again, "env.path") == env_ops(out, "env.path")


def test_skill_root_option():
    out, _ = run(parse_fixture(FIXTURES / "deps-and-secrets"), "bind-env{skill-root=/opt/s}")
    py = next(op for op in out.walk() if op.name == "skill.code" and op.attr("lang") == "python")
    paths = {op.attr("value") for op in env_ops(out, "env.path")}
    assert "/opt/s/scripts/render.py" in paths
    assert "$SKILL_DIR" not in print_module(out)
    assert py is not None


def test_no_deps_leaves_module_unchanged():
    module = parse_fixture(FIXTURES / "no-deps")
    out, ctx = run(module)
    assert out == module
    assert ctx.report["bind-env"] == {"deps": [], "vars": [], "paths": {}}


def test_examples_csv_summary():
    out, _ = run(parse_fixture(REPO / "examples" / "csv-summary"))
    deps = {(op.attr("manager"), op.attr("name")) for op in env_ops(out, "env.dep")}
    assert ("system", "python") in deps and not any(m == "pip" for m, _ in deps)


@pytest.mark.parametrize("skill", corpus_params())
def test_corpus(skill):
    out, ctx = run(parse_corpus(skill), "bind-harness{harness=openhands},bind-env")
    report = ctx.report["bind-env"]
    assert set(report) == {"deps", "vars", "paths"}
    assert len(env_ops(out, "env.requires")) <= 1


def test_bind_markdown_paths_binds_commands_and_fences_only():
    from skvmc.passes.bind_env import bind_markdown_paths

    text = ("Run `python3 scripts/x.py in.csv` for totals; see `scripts/x.py` for how.\n"
            "```bash\n"
            "bash scripts/run.sh && cat ./scripts/x.py\n"
            "```\n"
            "Outside again: `python3 scripts/x.py` and $ROOT/scripts/x.py.\n"
            "~~~~\n"
            "```\n"
            "python3 scripts/x.py\n"
            "~~~~\n")
    root = ".agents/skills/s"
    got = bind_markdown_paths(text, ["scripts/x.py", "scripts/run.sh"], root)
    assert got == (
        f"Run `python3 {root}/scripts/x.py in.csv` for totals; see `scripts/x.py` for how.\n"
        "```bash\n"
        f"bash {root}/scripts/run.sh && cat {root}/scripts/x.py\n"
        "```\n"
        f"Outside again: `python3 {root}/scripts/x.py` and $ROOT/scripts/x.py.\n"
        "~~~~\n"
        "```\n"  # a shorter fence of another kind does not close a ~~~~ block
        f"python3 {root}/scripts/x.py\n"
        "~~~~\n")
    assert bind_markdown_paths(got, ["scripts/x.py", "scripts/run.sh"], root) == got
    assert bind_markdown_paths(text, [], root) == text
