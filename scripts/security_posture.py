"""The README's "Security posture" table, made from template.yaml.

Each checkov check the template suppresses appears once: the resources that
skip it (their Metadata.checkov.skip), the reason they give (one sentence,
the same on every resource that skips the check) and what the template does
instead (the template's Metadata.SecurityPosture). tests/template keeps the
README equal to this; after changing a suppression, run
`.venv/bin/python -m scripts.security_posture` and paste its output.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from local.cfn import load_template


@dataclass(frozen=True)
class Suppression:
    check_id: str
    check: str
    resources: tuple[str, ...]
    reason: str
    instead: str


def suppressions(template: dict) -> list[Suppression]:
    """Every suppressed check, in check-number order. ValueError when the template is inconsistent."""
    skipped: dict[str, dict[str, str]] = {}
    for logical_id, resource in template["Resources"].items():
        for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            comment = " ".join(str(skip.get("comment") or "").split())
            if not comment:
                raise ValueError(f"{logical_id} skips {skip['id']} without a reason")
            skipped.setdefault(skip["id"], {})[logical_id] = comment
    posture = (template.get("Metadata") or {}).get("SecurityPosture") or {}
    if set(posture) != set(skipped):
        raise ValueError(f"Metadata.SecurityPosture names {sorted(posture)}, the resources skip {sorted(skipped)}")
    found = []
    for check_id in sorted(skipped, key=lambda name: int(name.rsplit("_", 1)[1])):
        reasons = set(skipped[check_id].values())
        if len(reasons) != 1:
            raise ValueError(f"{check_id} is skipped with {len(reasons)} different reasons: give one")
        found.append(
            Suppression(
                check_id=check_id,
                check=posture[check_id]["check"],
                resources=tuple(skipped[check_id]),
                reason=reasons.pop(),
                instead=posture[check_id]["instead"],
            )
        )
    return found


def markdown_table(template: dict | None = None) -> str:
    rows = [
        "| check | resources | why it is suppressed | what the template does instead |",
        "| --- | --- | --- | --- |",
    ]
    for s in suppressions(template or load_template()):
        resources = ", ".join(f"`{name}`" for name in s.resources)
        cells = [f"`{s.check_id}` {s.check}", resources, s.reason, s.instead]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
