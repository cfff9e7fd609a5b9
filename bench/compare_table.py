#!/usr/bin/env python3
"""Prints medians and ratios from the JSON files bench/compare.sh wrote into one folder.

Usage: python3 bench/compare_table.py FOLDER
Ratios are gradbook / peer: below 1 means gradbook is faster. Targets are issue 3's.
"""
import json
import os
import sys


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text.splitlines()[-1]) if text else None


def median(stats):
    if isinstance(stats, dict):
        return stats.get("median")
    return None


def by_key(rows, key, value):
    for row in rows or []:
        if isinstance(row, dict) and row.get(key) == value:
            return row
    return None


def fmt(value, unit=""):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    if abs(value) >= 1:
        return f"{value:.2f}{unit}"
    return f"{value:.4g}{unit}"


def ratio(a, b):
    if a is None or not b:
        return "-"
    return f"{a / b:.3g}x"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    gb = load(folder, "gradbook") or {}
    rec = load(folder, "gradbook_record") or {}
    torch = load(folder, "torch") or {}
    mg = load(folder, "micrograd") or {}
    jax = load(folder, "jax_f64") or {}
    rows = []

    def add(workload, metric, ours, peers, target=""):
        rows.append((workload, metric, ours, peers, target))

    for g in gb.get("scalar_chain", []):
        n = g.get("n_nodes")
        if "skipped" in g:
            continue
        ours = median(g.get("ns_per_node_total"))
        t = by_key(torch.get("scalar_chain"), "n_nodes", n) or {}
        peers = [("torch", median(t.get("ns_per_node_total")))]
        for mode in ("gc_off", "gc_on"):
            m = by_key((mg.get("scalar_chain") or {}).get(mode), "n_nodes", n) or {}
            peers.append((f"micrograd {mode}", median(m.get("ns_per_node_total"))))
        add(f"scalar_chain N={n:,}", "ns/node fwd+bwd", ours, peers, "<= 30 ns" if n == 1000000 else "")
        if n == 1000000:
            add(f"scalar_chain N={n:,}", "RSS bytes/node", g.get("rss_bytes_per_node_after_forward"),
                [("torch", t.get("rss_bytes_per_node_after_forward"))], "<= 64 B")

    moons = gb.get("moons_mlp") or {}
    if moons:
        ours = median(moons.get("s_per_step"))
        peers = [("torch", median((torch.get("moons_mlp") or {}).get("s_per_step")))]
        for mode in ("gc_off", "gc_on"):
            peers.append((f"micrograd {mode}", median(((mg.get("moons_mlp") or {}).get(mode) or {}).get("s_per_step"))))
        add("moons_mlp", "ms/step", ours and ours * 1e3, [(n, v and v * 1e3) for n, v in peers], "<= 0.5x torch")
        add("moons_mlp", "loss first -> final, acc",
            None, [], f"{moons.get('loss_first', float('nan')):.12f} -> {moons.get('loss_final', float('nan')):.12f}, "
                      f"{moons.get('accuracy_final')}")

    tm = by_key(gb.get("tensor_mlp"), "dtype", "float64") or {}
    if tm:
        t64 = by_key(torch.get("tensor_mlp"), "dtype", "float64") or {}
        peers = [("torch 2 thr", t64.get("median_of_round_medians_ms") or median(t64.get("ms_per_step")))]
        if jax:
            peers.append(("jax jit", jax.get("median_of_round_medians_ms") or median(jax.get("ms_per_step"))))
        add("tensor_mlp f64", "ms/step (median of rounds)", tm.get("median_of_round_medians_ms"), peers, "<= 1.0x torch")
        add("tensor_mlp f64", "loss step0 -> last", None, [],
            f"{tm.get('loss_step0', float('nan')):.12f} -> {tm.get('loss_step_last', float('nan')):.12f}")

    for g in gb.get("backprop_vs_numeric", []):
        p = g.get("p")
        t = by_key(torch.get("backprop_vs_numeric"), "p", p) or {}
        ours = median(g.get("backward_s"))
        add(f"backprop_vs_numeric p={p:,}", "backward µs", ours and ours * 1e6,
            [("torch", median(t.get("backward_s")) and median(t.get("backward_s")) * 1e6)])
        add(f"backprop_vs_numeric p={p:,}", "FD / backward", g.get("ratio_fd_over_backward"),
            [("torch", t.get("ratio_fd_over_backward"))])

    record = rec.get("record") if rec else None
    if record:
        add("record (moons, %record params)", "overhead vs %record none", record.get("overhead_fraction"), [], "<= 0.10")
        add("record (moons, %record params)", "bytes per step", record.get("bytes_per_step_params"), [], "")
        for policy in ("params", "none"):
            wait = median(record.get(f"s_write_wait_per_call_{policy}"))
            add(f"record (moons, %record {policy})", "end-of-call wait ms", wait and wait * 1e3, [], "")
        add("record (moons, %record all)", "values/s", record.get("values_per_s_all", record.get("values_per_s")), [], ">= 1e6")

    print(f"{'workload':<30} {'metric':<28} {'gradbook':>12}  peers (value, gradbook/peer)   target")
    for workload, metric, ours, peers, target in rows:
        peer_text = "; ".join(f"{name} {fmt(v)} ({ratio(ours, v)})" for name, v in peers if v is not None)
        print(f"{workload:<30} {metric:<28} {fmt(ours):>12}  {peer_text}   {target}")
    for name, doc in (("gradbook", gb), ("torch", torch), ("micrograd", mg)):
        machine = (doc or {}).get("machine") or {}
        print(f"load average ({name}): start {machine.get('loadavg_start')} end {machine.get('loadavg_end')}")


if __name__ == "__main__":
    main()
