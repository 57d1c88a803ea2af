"""bench/external_quality.py on a slice of CDNOW: the file goes in through the product's
CSV import, then the product's forward-chained backtest and BG/NBD judge the same rows."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from sklearn.metrics import roc_auc_score

from customers.models import Customer, UsageDay

pytestmark = pytest.mark.django_db
BENCH = Path(__file__).resolve().parents[2] / "bench" / "external_quality.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("external_quality", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cdnow_slice_imports_and_is_backtested_next_to_bgnbd(tmp_path, settings):
    settings.CHURN_LABEL = "implicit"
    settings.IMPLICIT_CHURN_DAYS = [90, 90, 90]
    bench = load_bench()
    purchases = bench.read_cdnow(limit=150)
    days = purchases.groupby(["customer", "date"]).size()
    counts = bench.import_cdnow(purchases, tmp_path)
    # 150 customers; two totals (purchases, spend) per customer and purchase day.
    assert counts == {"customers": 150, "usage": 2 * len(days)}
    assert Customer.objects.count() == 150
    first = purchases[purchases["customer"] == "00003"]
    assert Customer.objects.get(external_id="CDNOW-00003").customer_since == first["date"].min()
    assert UsageDay.objects.filter(
        customer__external_id="CDNOW-00003", event="purchases"
    ).count() == (first["date"].nunique())

    results = bench.compare(as_of=dt.date(1998, 6, 30), folds=4)
    ran = [r for r in results if "skipped" not in r]
    assert len(results) == 4 and len(ran) >= 3
    for result in ran:
        assert result["product"] in {"gradient_boosting", "logistic_regression"}
        assert 0 < result["bgnbd"]["roc_auc"] < 1
        assert 0 < result["methods"][result["product"]]["roc_auc"] < 1
        assert sum(c[1] for c in result["cutoffs"]) == result["fold"]["validation_rows"]
        # The product's per-cutoff figures come from its own out-of-fold predictions for
        # these very rows: over the whole fold they give the fold's ROC AUC.
        whole_fold = roc_auc_score(result["churned"], result["product_risk"])
        assert whole_fold == pytest.approx(
            result["methods"][result["product"]]["roc_auc"], abs=1e-4
        )
    lines = bench.report(results)
    assert lines[-1].startswith("the product beats BG/NBD's ROC AUC on ")
    assert lines[0].split()[:3] == ["fold", "validated", "on"]
    assert "BG/NBD" in lines[0]
