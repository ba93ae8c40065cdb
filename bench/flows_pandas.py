"""The seed's way (seed 001, local_traffic.py) on the flows bench's CSVs.

Runs the three reductions of the community-network study's notebook with
pandas on the typical, user-to-user and no-user CSVs that bench/mkflows
writes: bytes per week, local vs external vs user-to-user; no-user flows
classified and summed per day; user-to-user flows per day and pair. Dask
is replaced by pandas (the same operations, in one process), so every row
is held in memory. Prints the time of each step (reading the CSVs apart)
and totals that the bench compares with netlens' answers.

    /usr/bin/python3 bench/flows_pandas.py DIR
"""
import sys
import time

import pandas as pd


def timed(what, f):
    t = time.perf_counter()
    out = f()
    print(f"pandas {what:<44} {time.perf_counter() - t:7.1f} s", flush=True)
    return out


def read(path, cols):
    return pd.read_csv(path, usecols=cols, parse_dates=["start"])


def local_external(flows, peer):
    # reduce_to_pandas: local and non-local bytes to distinct columns,
    # user-to-user bytes, then a weekly resample.
    flows = flows.set_index("start")
    peer = peer.set_index("start")
    peer["bytes_p2p"] = peer["bytes_a_to_b"] + peer["bytes_b_to_a"]
    peer = peer.drop(["bytes_a_to_b", "bytes_b_to_a"], axis="columns")
    flows["local_up"] = flows["bytes_up"].where(flows["local"], other=0)
    flows["local_down"] = flows["bytes_down"].where(flows["local"], other=0)
    flows["bytes_up"] = flows["bytes_up"].where(~flows["local"], other=0)
    flows["bytes_down"] = flows["bytes_down"].where(~flows["local"], other=0)
    both = pd.concat([flows.drop(columns=["local"]), peer])
    return both.resample("1w").sum().fillna(0)


def anomalies(nouser):
    # anomaly_flows_make_plot, without the plot.
    a = nouser.assign(kind="Unknown")
    a["kind"] = a["kind"].mask((a["b_port"] == 1900) & (a["bytes_b_to_a"] == 0), other="SSDP Query (No Answer)")
    a["kind"] = a["kind"].mask((a["bytes_b_to_a"] == 0) & (a["kind"] == "Unknown"), other="Unanswered")
    a["day_bin"] = a["start"].dt.floor("d")
    a = a.groupby(["day_bin", "kind"])[["bytes_a_to_b", "bytes_b_to_a"]].sum()
    a["bytes_total"] = a["bytes_a_to_b"] + a["bytes_b_to_a"]
    a = a.reset_index()
    days = pd.DataFrame({"day_bin": pd.date_range(a["day_bin"].min(), a["day_bin"].max())})
    kinds = pd.DataFrame({"kind": a["kind"].unique()})
    dense = days.merge(kinds, how="cross")
    return dense.merge(a, on=["day_bin", "kind"], how="left").fillna(0)


def p2p(peer):
    # p2p_flows_make_plot, without the plots; the canonical pair with
    # vectorised min/max instead of the seed's row-wise apply, which would
    # take hours at this size.
    p = peer.assign(kind="Two-Way")
    p["kind"] = p["kind"].mask((p["bytes_a_to_b"] == 0) | (p["bytes_b_to_a"] == 0), other="One-Way")
    p["bytes_total"] = p["bytes_a_to_b"] + p["bytes_b_to_a"]
    p["key_x"] = p[["user_a", "user_b"]].min(axis=1)
    p["key_y"] = p[["user_a", "user_b"]].max(axis=1)
    p["day_bin"] = p["start"].dt.floor("d")
    daily = p.groupby(["day_bin", "kind", "key_x", "key_y"])["bytes_total"].sum().reset_index()
    pairs = daily.groupby(["kind", "key_x", "key_y"]).agg({"bytes_total": "sum", "day_bin": "count"})
    pairs["average_bytes"] = pairs["bytes_total"] / pairs["day_bin"]
    return pairs


def main(d):
    t0 = time.perf_counter()
    typical = timed("read typical.csv", lambda: read(f"{d}/typical.csv", ["start", "bytes_up", "bytes_down", "local"]))
    peer = timed("read p2p.csv", lambda: read(f"{d}/p2p.csv", ["start", "user_a", "user_b", "bytes_a_to_b", "bytes_b_to_a"]))
    nouser = timed("read nouser.csv", lambda: read(f"{d}/nouser.csv", ["start", "b_port", "bytes_a_to_b", "bytes_b_to_a"]))
    print(f"pandas rows: {len(typical)} typical, {len(peer)} user-to-user, {len(nouser)} no-user", flush=True)
    le = timed("local_external (weekly local/external/p2p)", lambda: local_external(typical, peer[["start", "bytes_a_to_b", "bytes_b_to_a"]].copy()))
    an = timed("anomalies (no-user flows per day and kind)", lambda: anomalies(nouser))
    pp = timed("p2p (per day and pair, per pair)", lambda: p2p(peer))
    print(f"pandas total, reading included {time.perf_counter() - t0:7.1f} s")
    print("pandas totals: external_up %d external_down %d local_up %d local_down %d p2p %d" % (
        le["bytes_up"].sum(), le["bytes_down"].sum(), le["local_up"].sum(), le["local_down"].sum(), le["bytes_p2p"].sum()))
    for kind, g in an.groupby("kind"):
        print("pandas totals: anomalies %-24s bytes %d" % (kind, g["bytes_total"].sum()))
    for kind, g in pp.groupby("kind"):
        print("pandas totals: p2p %-8s pairs %d bytes %d days %d" % (kind, len(g), g["bytes_total"].sum(), g["day_bin"].sum()))


if __name__ == "__main__":
    main(sys.argv[1])
