"""The seed's ETL of a node's tracepoint message log, in pandas, for
bench/btcmonth.sh to time against netlens on the same files: read the CSV
logs, estimate TCP/IP bytes per message with the seed's formula (fed the
payload size, as the seed does), and aggregate per day, message type,
peer and direction into its data_daily layout.

    python3 bench/btcmonth/seed_etl.py OUT.csv LOG.csv...
"""
import sys

import numpy as np
import pandas as pd


def estimate(size, v6):
    ip = np.where(v6, 40, 20)
    headers = ip + 32
    mss = 1500 - headers
    segments = np.ceil(size / mss)
    return size + segments * headers + segments / 2 * headers


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    df = pd.concat(
        (pd.read_csv(p, index_col=0, parse_dates=True) for p in paths)
    )
    df = df.rename(columns={"size": "payload_size"})
    df["message_size"] = df["payload_size"] + 24
    df["tcpip_size"] = estimate(
        df["payload_size"].to_numpy(), df["peer_addr"].str.startswith("[").to_numpy()
    )
    daily = (
        df.groupby(
            [pd.Grouper(freq="D"), "msg_type", "peer_id", "peer_addr", "flow"]
        )[["payload_size", "message_size", "tcpip_size"]]
        .sum()
        .reset_index()
    )
    daily.to_csv(out, index=False)
    print(len(df), "messages,", len(daily), "rows of data_daily")


if __name__ == "__main__":
    main()
