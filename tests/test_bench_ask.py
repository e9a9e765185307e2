"The ask timing is a benchmark (bnnstudy.benchmarks.ask, nbs/88_bench_ask), not a library function."
import pandas as pd
import bnnstudy.acquisition

def test_ask_timings_is_a_benchmark_not_a_library_function():
    assert not hasattr(bnnstudy.acquisition, "ask_timings") and "ask_timings" not in bnnstudy.acquisition.__all__
    from bnnstudy.benchmarks.ask import ask_timings
    t = ask_timings(names=("bll",), sizes=(6,), repeats=1)
    assert t.surrogate.tolist() == ["bll"] and t.n_obs.tolist() == [6]
    assert (t[["wall_s", "cpu_s", "cold_cpu_s"]] >= 0).all().all()

def test_main_writes_the_table_with_its_command_and_load(tmp_path):
    from bnnstudy.benchmarks.ask import main
    main(surrogates="bll", sizes="6,8", repeats=1, out_dir=str(tmp_path))
    assert pd.read_csv(tmp_path/"bench_ask.csv").n_obs.tolist() == [6, 8]
    text = (tmp_path/"bench_ask.md").read_text()
    assert "python -m bnnstudy.benchmarks.ask --sizes 6,8 --repeats 1" in text and "load average" in text
    assert text.count("\n| bll |") == 2
