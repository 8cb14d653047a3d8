"""PSPLIB: every instance parses, reference files read, bad files name their line, and the
exact method reproduces proven optima."""

from __future__ import annotations

from pathlib import Path

import pytest

from itpm.engine.errors import PlanError
from itpm.engine.leveling import level
from itpm.engine.psplib import instance_key, level_file, parse_reference, parse_sm

PSPLIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "psplib"
SETS = {"j30": 480, "j60": 480, "j90": 480, "j120": 600}

pytestmark = pytest.mark.skipif(not PSPLIB.is_dir(), reason="PSPLIB data not present")


def instance_files(name: str) -> list[Path]:
    return sorted((PSPLIB / name).glob("*.sm"), key=lambda p: instance_key(p.stem))


@pytest.mark.parametrize(("name", "count"), SETS.items())
def test_every_instance_parses(name: str, count: int) -> None:
    files = instance_files(name)
    assert len(files) == count
    jobs = int(name[1:]) + 2
    for path in files:
        instance = parse_sm(path)
        assert instance.jobs == jobs
        assert len(instance.capacities) == 4
        assert instance.durations[0] == instance.durations[-1] == 0
        assert instance.critical_path_length() > 0


def test_first_j30_instance_in_detail() -> None:
    instance = parse_sm(PSPLIB / "j30" / "j301_1.sm")
    assert instance.successors[0] == (2, 3, 4)
    assert instance.durations[1] == 8
    assert instance.demands[1] == (4, 0, 0, 0)
    assert instance.capacities == (12, 13, 4, 12)
    assert instance.critical_path_length() == 38
    tasks, dependencies, resources = instance.to_engine()
    assert [t.id for t in tasks][:3] == ["1", "2", "3"]
    assert resources[0].id == "R1" and resources[0].capacity == 12
    assert len(dependencies) == sum(len(s) for s in instance.successors)


def test_reference_files() -> None:
    optimum = parse_reference(PSPLIB / "j30opt.sm")
    assert len(optimum) == 480
    assert optimum[(1, 1)] == 43
    best = parse_reference(PSPLIB / "j120hrs.sm")
    assert len(best) == 600
    assert best[(1, 1)] == 105
    lower = parse_reference(PSPLIB / "j60lb.sm", column=3)
    assert lower[(1, 1)] == 77
    assert 0 < len(lower) < 480  # the copy is incomplete: callers fall back to the CP bound


def test_instance_key() -> None:
    assert instance_key("j3012_7") == ("j30", 12, 7)
    assert instance_key("j12060_10") == ("j120", 60, 10)
    with pytest.raises(PlanError):
        instance_key("j31_1")


def _mangled(tmp_path: Path, old: str, new: str) -> Path:
    text = (PSPLIB / "j30" / "j301_1.sm").read_text(encoding="latin-1")
    assert old in text
    path = tmp_path / "bad.sm"
    path.write_text(text.replace(old, new, 1), encoding="latin-1")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "   2        1          3           6  11  15",
            "   2        1          3           6  x  15",
            "line 20",
        ),
        (
            "   2        1          3           6  11  15",
            "   2        1          4           6  11  15",
            "line 20",
        ),
        (
            "   2        1          3           6  11  15",
            "   2        1          3           6  99  15",
            "line 20",
        ),
        (
            "  2      1     8       4    0    0    0",
            "  2      1     8       4    0    0",
            "line 56",
        ),
        ("   12   13    4   12", "   12   13    4", "line 90"),
        ("jobs (incl. supersource/sink ):  32", "jobs (incl. supersource/sink ):  xx", "line 6"),
    ],
)
def test_malformed_file_names_the_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_sm(_mangled(tmp_path, old, new))


def test_truncated_file_is_a_plan_error(tmp_path: Path) -> None:
    text = (PSPLIB / "j30" / "j301_1.sm").read_text(encoding="latin-1")
    path = tmp_path / "short.sm"
    path.write_text("\n".join(text.splitlines()[:30]), encoding="latin-1")
    with pytest.raises(PlanError, match="short.sm"):
        parse_sm(path)


def test_level_file_gives_every_job_a_start() -> None:
    result = level_file(PSPLIB / "j30" / "j301_1.sm", solver="heuristic", time_limit=1)
    assert set(result["start"]) == {str(job) for job in range(1, 33)}
    assert result["makespan"] >= 43  # the proven optimum
    assert result["lower_bound"] == 38  # the critical path


def test_heuristic_stays_close_to_the_optimum_on_a_j30_sample() -> None:
    optimum = parse_reference(PSPLIB / "j30opt.sm")
    deviations = []
    for path in instance_files("j30")[::40]:
        tasks, dependencies, resources = parse_sm(path).to_engine()
        result = level(tasks, dependencies, resources, time_limit=0.2)
        _, parameter, number = instance_key(path.stem)
        best = optimum[(parameter, number)]
        assert result.makespan >= best
        deviations.append((result.makespan - best) / best)
    assert sum(deviations) / len(deviations) < 0.02


def test_exact_reproduces_proven_optima() -> None:
    """Every 24th j30 instance: where CP-SAT proves optimality it matches ``j30opt.sm``."""
    optimum = parse_reference(PSPLIB / "j30opt.sm")
    proven = 0
    sample = instance_files("j30")[::24]
    for path in sample:
        tasks, dependencies, resources = parse_sm(path).to_engine()
        result = level(tasks, dependencies, resources, method="exact", time_limit=5)
        _, parameter, number = instance_key(path.stem)
        best = optimum[(parameter, number)]
        assert result.lower_bound is not None
        assert result.lower_bound <= best <= result.makespan
        if result.optimal:
            proven += 1
            assert result.makespan == best, path.stem
    assert proven >= len(sample) - 3


def test_level_file_exact_proves_a_small_instance() -> None:
    result = level_file(PSPLIB / "j30" / "j301_1.sm", solver="exact", time_limit=10)
    assert result["makespan"] == 43
    assert result["optimal"] is True
    assert result["gap"] == 0.0


def test_cli_level_prints_json_and_rejects_a_bad_file(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from itpm.cli.engine import app

    runner = CliRunner()
    good = runner.invoke(app, ["level", str(PSPLIB / "j30" / "j301_1.sm"), "--time-limit", "1"])
    assert good.exit_code == 0, good.output
    assert len(json.loads(good.stdout)["start"]) == 32
    bad = _mangled(tmp_path, "   12   13    4   12", "   12   13")
    failed = runner.invoke(app, ["level", str(bad)])
    assert failed.exit_code == 2
    assert "line 90" in failed.output
