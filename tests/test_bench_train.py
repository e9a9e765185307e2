"Timing helpers live with the benchmarks (issue 14): the datasets' load times are measured by bnnstudy.benchmarks.train."
import os
import bnnstudy.data

def test_time_loads_is_a_benchmark_not_a_library_function(capsys):
    from bnnstudy.benchmarks.train import time_loads
    assert not hasattr(bnnstudy.data, "time_loads")
    before = os.environ.get("BNNSTUDY_CACHE")
    rows = time_loads(("wine_quality",))
    assert [r["dataset"] for r in rows] == ["wine_quality"] and all(rows[0][k] >= 0 for k in ("first_s", "disk_s", "memo_s"))
    assert os.environ.get("BNNSTUDY_CACHE") == before            # its temporary cache is gone again
    assert "wine_quality" in capsys.readouterr().out
