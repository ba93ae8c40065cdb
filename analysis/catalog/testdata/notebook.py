#!/usr/bin/env python3
"""The SHD-Identification notebooks' own code (seeds 002 and 003: scapy +
pandas), run on each capture on its own; prints every number they compute
as JSON, an object with a member per capture named as on the command line.

    python3 notebook.py CAPTURE.pcap... > numbers.json

The cells are copied from the notebooks (cell numbers in the comments):
the DataFrame is built as 003 builds it (002 imports the same code from
convert_pcap_to_df), then come 002's analyses and 003's inter-departure
times. Only the plots and the unit conversions' printing are left out, and
the numbers are collected into one dictionary. netlens' cross-check
(notebook_test.go) compares them with `netlens run ... --set payload=scapy
--set ip_version=4`.
"""

import datetime
import json
import logging
import sys
import warnings

import numpy as np
import pandas as pd
import scapy
from scapy.all import rdpcap, IP, TCP, UDP, Raw

warnings.filterwarnings("ignore")  # pandas' SettingWithCopyWarning, as in the notebooks
logging.getLogger("scapy").setLevel(logging.ERROR)


def ns(t):
    """A pandas timestamp as integer nanoseconds since the epoch."""
    return int(pd.Timestamp(t).value)


def seconds(td):
    """A pandas timedelta as seconds (None for NaT), to the nanosecond
    (Timedelta.total_seconds() drops the nanoseconds)."""
    return None if pd.isna(td) else td.value / 1e9


def top_is_tied(sizes):
    """Whether the first two of a column sorted descending are equal: the
    notebooks' sort_values (quicksort) then picks either."""
    return len(sizes) > 1 and sizes.iloc[0] == sizes.iloc[1]


def build_df(path):
    # 003 In [2]
    amazon_ring_cap = rdpcap(path)
    pcap = amazon_ring_cap[IP]

    # 003 In [3]
    pcap_len_summary = {'All': len(amazon_ring_cap), 'IP': len(pcap[IP]), 'TCP': len(pcap[TCP]), 'UDP': len(pcap[UDP])}
    pcap_len_summary['IP_Other'] = pcap_len_summary['IP']-(pcap_len_summary['TCP'] + pcap_len_summary['UDP'])
    pcap_len_summary['Other'] = pcap_len_summary['All']-pcap_len_summary['IP']

    # 003 In [4]
    num_pkts = len(pcap)

    df_dict = {
      **{'time': None},
      **{'payload': None},
      **{"IP_" + field.name: None for field in IP.fields_desc},
      **{"TCP_" + field.name: None for field in TCP.fields_desc},
      **{"UDP_" + field.name: None for field in UDP.fields_desc},
      **{"Raw_" + field.name: None for field in Raw.fields_desc},
      }

    # 003 In [5]
    layer_dtypes_list = ['datetime64[s]', 'category', 'category', 'UInt8', 'UInt8', 'UInt16', 'UInt16',
           'UInt8', 'UInt16', 'UInt8', 'UInt8', 'UInt16', 'string',
           'string', 'object', 'UInt16', 'UInt16', 'UInt32', 'UInt32',
           'UInt8', 'UInt8', 'UInt16', 'UInt16', 'UInt16',
           'UInt16', 'object', 'UInt16', 'UInt16', 'UInt16',
           'UInt16', 'object']
    layer_dtypes = dict(zip(df_dict.keys(), layer_dtypes_list))

    layer_dtypes['time'] = 'float64'
    layer_dtypes['payload'] = 'string'
    layer_dtypes['IP_version'] = 'UInt8'
    layer_dtypes['IP_flags'] = 'object'
    layer_dtypes['TCP_flags'] = 'object'
    layer_dtypes['IP_options'] = 'object'
    layer_dtypes['TCP_options'] = 'object'
    layer_dtypes['Raw_load'] = 'object'

    # 003 In [6]
    df_dict = {k: pd.array(np.full(num_pkts, np.nan), dtype=layer_dtypes[k]) for k in df_dict}

    # 003 In [7]
    layer_strings = ["IP", "TCP", "UDP", "Raw"]

    for i, pkt in enumerate(pcap):
      df_dict['time'][i] = float(pkt.time)
      # Loop through payloads until lowest layer, ignoring ethernet frame
      while hasattr(pkt, 'payload'):
        pkt = pkt.payload
        layer = type(pkt)

        # Interesting layers for feature set
        if layer.__name__ in layer_strings:
          # Inserting pkt variables in df_dict
          for field in pkt.fields:
            field_name = layer.__name__ + "_" + field
            exec(f"df_dict[field_name][i] = pkt.{field}")

          # Stop when reaching Raw layer
          if layer == Raw:
            df_dict['payload'][i] = layer.__name__
            break

        # Less important layers for feature set saved as 'payload'
        else:
          df_dict['payload'][i] = layer.__name__
          break

    # 003 In [8]
    df = pd.DataFrame(df_dict)

    # 003 In [10]
    df['time'] = pd.to_datetime(df['time'], unit='s')
    df['payload'] = df['payload'].astype("category")
    df['IP_version'] = df['IP_version'].astype("category")
    df['IP_src'] = df['IP_src'].astype("category")
    df['IP_dst'] = df['IP_dst'].astype("category")
    df['TCP_sport'] = df['TCP_sport'].astype("string").astype("category")
    df['TCP_dport'] = df['TCP_dport'].astype("string").astype("category")
    df['UDP_sport'] = df['UDP_sport'].astype("string").astype("category")
    df['UDP_dport'] = df['UDP_dport'].astype("string").astype("category")
    df['IP_flags'] = df['IP_flags'].apply(int).astype('UInt8')
    df['TCP_flags'] = df[df['TCP_flags'].notnull()]['TCP_flags'].apply(int).astype('UInt8')
    df.drop("IP_options", axis=1, inplace=True)
    df.drop("TCP_options", axis=1, inplace=True)
    df['Raw_load'] = df['Raw_load'].apply(lambda x: len(x.hex())//2).astype('UInt16') # Payload size in bytes
    return df, pcap_len_summary


def sums(df, by, unit):
    """002 In [17], [19], [24], [26], [31], [33]: summed payload per value of
    column by, sorted descending, in the notebook's unit (2**20 or 2**10)."""
    t = df.groupby(by)['Raw_load'].sum().to_frame(name='size').reset_index()
    t = t.sort_values("size", ascending=False)
    tied = top_is_tied(t['size'])
    t['size'] = t['size'].apply(lambda x: x/unit)
    return t, tied


def numbers(path):
    """Every number of the notebooks on the capture at path."""
    df, pcap_len_summary = build_df(path)
    out = {
        'scapy': scapy.VERSION, 'pandas': pd.__version__,
        # What scapy decodes above IP, TCP and UDP, by field values.
        'bindings': {
            layer.__name__: [{'fields': {k: int(v) for k, v in fval.items()}, 'layer': getattr(cls, '__name__', str(cls))}
                             for fval, cls in layer.payload_guess]
            for layer in (IP, TCP, UDP)
        },
        'overview': pcap_len_summary,
        'packets': len(df),
    }

    # Talkers: 002 In [17], [19].
    source_addresses, tied_src = sums(df, "IP_src", 2**20)
    destination_addresses, _ = sums(df, "IP_dst", 2**20)
    out['talkers'] = {
        'sent': {'address': list(source_addresses['IP_src']), 'size': list(source_addresses['size'])},
        'received': {'address': list(destination_addresses['IP_dst']), 'size': list(destination_addresses['size'])},
    }

    # Payload over time from the top source: 002 In [21].
    top_src_addr = source_addresses.iloc[0]['IP_src']
    df_top_src_addr = df[df['IP_src'] == top_src_addr][['time', 'IP_src', 'IP_dst', 'Raw_load']]
    out['timeline_src'] = {
        'src': top_src_addr, 'tied': tied_src,
        'time': [ns(t) for t in df_top_src_addr['time']], 'dst': list(df_top_src_addr['IP_dst']),
        'load': list(df_top_src_addr['Raw_load']),
    }

    # Ports and the payload over time from the top source port: 002 In [24],
    # [26], [28], [31], [33], [35].
    out['ports'] = {}
    for proto in ('TCP', 'UDP'):
        source_ports, tied = sums(df, proto + "_sport", 2**10)
        destination_ports, _ = sums(df, proto + "_dport", 2**10)
        out['ports'][proto] = {
            'source': {'port': [int(p) for p in source_ports[proto + '_sport']], 'size': list(source_ports['size'])},
            'destination': {'port': [int(p) for p in destination_ports[proto + '_dport']], 'size': list(destination_ports['size'])},
        }
        if len(source_ports) == 0:
            continue
        top_src_port = source_ports.iloc[0][proto + '_sport']
        df_top_src_port = df[df[proto + '_sport'] == top_src_port][['time', proto + '_sport', proto + '_dport', 'Raw_load']]
        out['timeline_' + proto.lower() + '_port'] = {
            'port': int(top_src_port), 'tied': tied,
            'time': [ns(t) for t in df_top_src_port['time']], 'dport': [int(p) for p in df_top_src_port[proto + '_dport']],
            'load': list(df_top_src_port['Raw_load']),
        }

    # Inter-departure and inter-arrival times: 003 In [41] (002 In [39] is
    # its second half).
    frames = []
    for addr in (set(df['IP_src'].unique()) | set(df['IP_dst'].unique())):
      tmp_df = df[df["IP_src"] == addr].sort_values("time", ascending=True)
      tmp_df['IP_int_dpt_time'] = tmp_df['time'].diff()
      frames.append(tmp_df)
    df = pd.concat(frames).sort_index()
    frames = []
    for addr in (set(df['IP_src'].unique()) | set(df['IP_dst'].unique())):
      tmp_df = df[df["IP_dst"] == addr].sort_values("time", ascending=True)
      tmp_df['IP_int_arr_time'] = tmp_df['time'].diff()
      frames.append(tmp_df)
    df = pd.concat(frames).sort_index()

    # The notebooks stop at the columns; netlens' iat shows per address the
    # packets and the mean, median, 95th percentile, minimum and maximum of
    # the gaps, here computed by pandas from the notebooks' columns.
    out['iat'] = {}
    for side, key, col in (('arrival', 'IP_dst', 'IP_int_arr_time'), ('departure', 'IP_src', 'IP_int_dpt_time')):
        stats = {}
        for addr, g in df.groupby(key, observed=True):
            gaps = g[col].dropna().dt.total_seconds()
            if len(gaps) == 0:
                continue
            stats[addr] = {'packets': len(g), 'mean_s': gaps.mean(), 'median_s': gaps.median(),
                           'p95_s': gaps.quantile(0.95), 'min_s': gaps.min(), 'max_s': gaps.max()}
        out['iat'][side] = stats

    # The top stream: 002 In [40], [41].
    top_src_addr, top_dst_addr = df[df['IP_src'] == top_src_addr][['IP_src', 'IP_dst']].describe().loc['top']
    counts = df[df['IP_src'] == top_src_addr]['IP_dst'].value_counts()
    top_stream_df = df[df['IP_src'] == top_src_addr]
    top_stream_df = top_stream_df[top_stream_df['IP_dst'] == top_dst_addr]
    top_stream_df = top_stream_df[[
      'time',
      'payload',
      'IP_src',
      'IP_dst',
      'IP_int_arr_time',
      'Raw_load']]
    out['stream'] = {
        'src': top_src_addr, 'dst': top_dst_addr, 'tied': len(counts) > 1 and counts.iloc[0] == counts.iloc[1],
        'time': [ns(t) for t in top_stream_df['time']], 'gap': [seconds(g) for g in top_stream_df['IP_int_arr_time']],
        'load': list(top_stream_df['Raw_load']),
    }

    # Bursts: 002 In [43], [45], [46] with 002's threshold, then with 003's
    # (In [45]: 300 bytes).
    BURST_TIME_THRESHOLD = datetime.timedelta(seconds=0.3) # Only packets sent within this time interval will be considered for the current burst
    mean_threshold = int(df['Raw_load'].mean() * 1.1) # Only packets that have at least this many bytes will be considered for the current burst
    out['bursts'] = {}
    for name, BURST_SIZE_THRESHOLD in (('mean', mean_threshold), ('300', 300)):

      def add_burst_ixs_to_df(df):
        ixs = np.zeros((len(df),))
        burst_ix = 1
        i = 0

        while i < len(df) - 1:

          # Find next package that is big enough to be considered relevant
          j = i + 1
          while j < len(df) - 1 and df.iloc[j]['Raw_load'] < BURST_SIZE_THRESHOLD:
            j += 1

          if df.iloc[j]['time'] - df.iloc[i]['time'] < BURST_TIME_THRESHOLD:
            # Same burst for alle packets within time threshold
            ixs[i: j+1] = burst_ix
          else:
            ixs[i] = burst_ix
            burst_ix += 1
            # Discard all small payloads outside of time threshold
            for n in range(i+1, j):
              ixs[n] = burst_ix
              burst_ix += 1

          i = j

        df['IP_Burst_ix'] = ixs
        df['IP_Burst_ix'] = df['IP_Burst_ix'].astype('UInt32')
        return df

      stream_df = add_burst_ixs_to_df(top_stream_df.copy())

      stream_df['IP_Burst_length'] = stream_df.groupby(['IP_Burst_ix'])['IP_Burst_ix'].transform('size')
      stream_df['IP_Burst_length'] = stream_df['IP_Burst_length'] - 1 # length 1 should equal a burst with two packets
      stream_df['IP_Burst_avg_size'] = stream_df.groupby(['IP_Burst_ix'])['Raw_load'].transform('mean')
      stream_df['IP_Burst_avg_size'] = stream_df['IP_Burst_avg_size'].round(decimals=2)
      stream_df.loc[stream_df['IP_Burst_length'] == 0, ['IP_Burst_ix', 'IP_Burst_length', 'IP_Burst_avg_size']] = 0
      stream_df['IP_Burst_ix'] = stream_df['IP_Burst_ix'].astype('category')
      stream_df['IP_Burst_ix'] = stream_df['IP_Burst_ix'].cat.codes

      out['bursts'][name] = {
          'threshold': BURST_SIZE_THRESHOLD,
          'time': [ns(t) for t in stream_df['time']], 'load': list(stream_df['Raw_load']),
          'burst': list(stream_df['IP_Burst_ix']), 'length': list(stream_df['IP_Burst_length']),
          'mean_size': [float(m) for m in stream_df['IP_Burst_avg_size']],
      }

    return out


if __name__ == '__main__':
    json.dump({path: numbers(path) for path in sys.argv[1:]}, sys.stdout,
              default=lambda x: x.item())  # numpy scalars
