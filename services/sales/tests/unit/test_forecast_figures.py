"""A forecast block's figures: exact sums, weighted by probability, rounded once at the end."""

from decimal import Decimal

from services.sales import forecast


def test_weighted_pipeline_is_rounded_once_not_per_opportunity():
    figures = forecast.new_figures()
    for _ in range(3):  # 0.01 at 50% is 0.005: rounded each it would be 0.03, not 0.02
        forecast.add_open(figures, "pipeline", 50, Decimal("0.01"), 1)

    block = forecast.block("EUR", figures)

    assert block["weighted_pipeline"] == Decimal("0.02")  # 0.015, half up
    assert (block["open_pipeline"], block["open_count"]) == (Decimal("0.03"), 3)


def test_best_case_and_commit_add_what_is_won_and_the_gap_is_to_the_quota():
    figures = forecast.new_figures()
    forecast.add_open(figures, "commit", 75, Decimal("1000.00"), 2)
    forecast.add_open(figures, "best_case", 50, Decimal("500.00"), 1)
    forecast.add_open(figures, "pipeline", 10, Decimal("200.00"), 1)
    figures["closed_won"], figures["quota"] = Decimal("300.00"), Decimal("2000.00")

    block = forecast.block("CNY", figures)

    assert block["best_case"] == Decimal("1800.00")  # commit and best case, and won
    assert block["commit"] == Decimal("1300.00")
    assert block["weighted_pipeline"] == Decimal("1020.00")
    assert block["gap_to_quota"] == Decimal("1700.00")


def test_without_a_quota_there_is_no_gap():
    block = forecast.block("EUR", forecast.new_figures())

    assert (block["quota"], block["gap_to_quota"]) == (None, None)
    assert block["closed_won"] == Decimal("0.00")
