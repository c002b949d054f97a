"""The simulator is the gateway's peer: it shares the contract files in schemas/, never the code."""

from __future__ import annotations

import ast
from pathlib import Path

import gateway.sim

SIM_DIR = Path(gateway.sim.__file__).parent


def foreign_imports(source: Path) -> list[str]:
    """Every import of a ``gateway`` module outside ``gateway.sim`` in one module, with its line."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # gateway/sim/x.py: one dot stays in gateway.sim; two dots reach gateway itself.
                names = [] if node.level == 1 else [f"{'.' * node.level}{node.module or ''}"]
            elif node.module == "gateway":
                names = [f"gateway.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            inside = name == "gateway.sim" or name.startswith("gateway.sim.")
            if name.startswith(".") or (name.split(".")[0] == "gateway" and not inside):
                found.append(f"{source.name}:{node.lineno}: {name}")
    return found


def test_no_simulator_module_imports_gateway_code_outside_the_simulator():
    modules = sorted(SIM_DIR.glob("*.py"))
    assert len(modules) > 10
    offenders = [line for module in modules for line in foreign_imports(module)]
    assert offenders == []


def test_the_import_check_catches_every_form_of_a_gateway_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text(
        "import gateway.packets.model\n"
        "from gateway.packets.model import record_hash\n"
        "from gateway import safexml\n"
        "from .. import config\n"
        "from gateway.sim.records import record_hash as ok\n"
        "from . import wire\n"
        "import gateway.sim.contract\n"
    )
    assert foreign_imports(module) == [
        "bad.py:1: gateway.packets.model",
        "bad.py:2: gateway.packets.model",
        "bad.py:3: gateway.safexml",
        "bad.py:4: ..",
    ]
