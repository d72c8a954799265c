#!/usr/bin/env python3
"""Independent reference for tests/core/test_core_atr.c: TR and ATR(5) of real bars.

Plain python3, no numpy. Prices are read with decimal.Decimal and quantized to 10^-8
(ROUND_HALF_UP, i.e. halves away from zero, as core_bars does), then everything is
integer arithmetic in units of 10^-8:
    TR_0 = H_0 - L_0;  TR_i = max(H_i - L_i, |H_i - C_{i-1}|, |L_i - C_{i-1}|)
    ATR5_i = round_half_up((TR_{i-4} + ... + TR_i) / 5)
Prints the C rows pasted into the `ref` table of test_core_atr.c:

    python3 tests/core/ref_atr.py [DATA_DIR]     # default: <repo>/../shared/data/market
"""
import csv
import os
import sys
from decimal import Decimal, ROUND_HALF_UP

FILES = ["AAPL_2013-2023.csv", "SPY_2015-2026_adj.csv", "TSLA_2013-2023.csv"]
# the first ATR(5), a few dates spread over the file (crashes and splits included), the last
DATES = {
    "AAPL_2013-2023.csv": ["2013-01-02", "2013-01-08", "2014-06-09", "2020-03-16",
                           "2020-08-31", "2023-12-29"],
    "SPY_2015-2026_adj.csv": ["2015-01-08", "2018-02-05", "2020-03-16", "2022-06-13",
                              "2026-04-13", "2026-08-20"],
    "TSLA_2013-2023.csv": ["2013-01-08", "2020-08-31", "2021-01-08", "2022-08-25",
                           "2023-12-29"],
}
PERIOD = 5


def fixed(s):
    return int((Decimal(s) * 100000000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..",
                                                               "shared", "data", "market")
    for name in FILES:
        with open(os.path.join(data, name), newline="") as f:
            rows = list(csv.DictReader(f))
        trs = []
        prev_close = None
        by_date = {}
        for i, r in enumerate(rows):
            h, l, c = fixed(r["High"]), fixed(r["Low"]), fixed(r["Close"])
            tr = h - l if prev_close is None else max(h - l, abs(h - prev_close),
                                                      abs(l - prev_close))
            trs.append(tr)
            atr = None
            if i + 1 >= PERIOD:
                s = sum(trs[-PERIOD:])
                atr = (s * 2 + PERIOD) // (2 * PERIOD)  # nearest, halves up (s >= 0)
            by_date[r["Date"]] = (i, tr, atr)
            prev_close = c
        for d in DATES[name]:
            i, tr, atr = by_date[d]
            print('\t{"%s", %d, %s, %dll, %dll},' % (name, i, d.replace("-", ""), tr,
                                                    -1 if atr is None else atr))


if __name__ == "__main__":
    main()
