#!/usr/bin/env bash
# Re-makes the default model, models/breast_cancer.json, from the data it was trained on.
#
#   models/make_breast_cancer.sh            train from the committed models/breast_cancer.csv
#   models/make_breast_cancer.sh --refetch  first re-extract the CSV from Debian's python3-sklearn
#
# The data is the Wisconsin diagnostic breast-cancer set (569 rows, 30 features) as shipped in
# sklearn/datasets/data/breast_cancer.csv. That file's first line ("569,30,malignant,benign") is
# not a header, so it is dropped; the label (0 = malignant, 1 = benign) is the last column.
# Training uses the `xgboost` command-line tool (Debian package xgboost) with models/train.conf;
# XGBoost's exact tree method and a single thread make the result reproducible.
set -euo pipefail
cd "$(dirname "$0")"

if [[ ${1:-} == --refetch ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download python3-sklearn >/dev/null)
  dpkg-deb -x "$work"/python3-sklearn_*.deb "$work/root"
  tail -n +2 "$work/root/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv" \
    > breast_cancer.csv
fi

rows=$(wc -l < breast_cancer.csv)
[[ $rows -eq 569 ]] || { echo "breast_cancer.csv has $rows rows, expected 569" >&2; exit 1; }
xgboost train.conf
echo "wrote $(pwd)/breast_cancer.json"
