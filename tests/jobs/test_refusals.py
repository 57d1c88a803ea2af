"""What the database refused, told in the reader's language: each kind of refusal a record
meets (a key taken, a text too long, a number too large, a record named that does not
exist, a model's rule, a date that is not one, a value left empty) names the field by its
API name; the database's own English stays only as the detail admins see."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import translation

from customers.models import Contract, Customer
from retention import refusals
from retention.wording import Worded, coded, reword
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def refused(write, model=None) -> tuple[str, str, str]:
    """(English message, Chinese message, detail) of the refusal `write` meets."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        write()
        with connection.cursor() as cursor:  # foreign keys are checked at commit
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with translation.override("en"):
        message = refusals.refusal(caught.value, model=model)
    assert isinstance(message, Worded)
    with translation.override("zh-hans"):
        chinese = reword(coded(message))
    return str(message), chinese, refusals.detail(caught.value)


def test_a_key_another_record_holds_names_the_field_and_the_value():
    CustomerFactory(external_id="C-1")
    english, chinese, detail = refused(lambda: CustomerFactory(external_id="C-1"))
    assert english == "Another record already has external_id C-1."
    assert chinese == "另一条记录已使用 external_id C-1。"
    assert detail.startswith("IntegrityError: duplicate key value violates unique constraint")


def test_a_text_too_long_names_the_field_and_its_limit():
    english, chinese, detail = refused(lambda: ContractFactory(external_id="X" * 80), "contract")
    assert english == "external_id is longer than the 64 characters it holds."
    assert chinese == "external_id 超过了该字段可容纳的 64 个字符。"
    assert detail == "DataError: value too long for type character varying(64)"


def test_a_number_too_large_names_the_field_and_the_bound():
    customer = CustomerFactory()
    english, chinese, detail = refused(
        lambda: Contract.objects.create(
            customer=customer,
            external_id="K-1",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
            annual_value=Decimal("10000000000000.00"),  # 10^13 in numeric(14, 2)
        ),
        Contract,
    )
    assert english == "annual_value is too large: it must stay below 1,000,000,000,000."
    assert chinese == "annual_value 过大：必须小于 1,000,000,000,000。"
    assert "numeric field overflow" in detail


def test_a_record_named_that_does_not_exist_names_the_field_by_its_api_name():
    customer = CustomerFactory()
    english, chinese, detail = refused(
        lambda: Customer.objects.filter(pk=customer.pk).update(primary_owner_id=999999)
    )
    assert english == "primary_owner names a record that does not exist (999999)."
    assert chinese == "primary_owner 指向的记录不存在（999999）。"
    assert "Key (primary_owner_id)=(999999) is not present" in detail


def test_a_model_s_rule_broken_is_told_in_the_rule_s_own_words():
    english, chinese, detail = refused(
        lambda: ContractFactory(start_date=dt.date(2025, 6, 1), end_date=dt.date(2025, 1, 1))
    )
    assert english == "A contract cannot end before it starts."
    assert chinese == "合同结束日期不能早于开始日期。"
    assert "violates check constraint" in detail


def test_a_date_the_calendar_has_not_is_named():
    def read_date():
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::date", ["2024-02-30"])

    english, chinese, _ = refused(read_date)
    assert english == "2024-02-30 is not a date the calendar has."
    assert chinese == "2024-02-30 不是日历上存在的日期。"


def test_a_value_left_empty_names_the_field():
    customer = CustomerFactory()
    english, chinese, _ = refused(lambda: Customer.objects.filter(pk=customer.pk).update(name=None))
    assert (english, chinese) == ("name is required.", "name 为必填项。")


def test_sqlite_s_refusals_are_named_too():
    with translation.override("en"):
        unique = DatabaseError("x")
        unique.__cause__ = sqlite3.IntegrityError(
            "UNIQUE constraint failed: customers_customer.external_id"
        )
        rule = IntegrityError("CHECK constraint failed: contract_end_after_start")
        assert str(refusals.refusal(unique)) == "Another record already has this external_id."
        assert str(refusals.refusal(rule)) == "A contract cannot end before it starts."


def test_the_reason_of_a_record_set_aside_keeps_the_raw_text_only_as_its_detail():
    with translation.override("en"):
        invalid = refusals.explain(ValidationError(["Zed has no manager."]))
        unexpected = refusals.explain(KeyError("features"))
    assert (str(invalid["reason"]), invalid["detail"]) == ("Zed has no manager.", "")
    assert str(unexpected["reason"]) == "This record could not be processed (see the detail)."
    assert unexpected["detail"] == "KeyError: 'features'"
    with translation.override("zh-hans"):
        assert reword(coded(unexpected["reason"])) == "这条记录无法处理（见详情）。"


def test_a_trigger_s_own_words_are_kept_as_the_reason():
    def refused_by_a_trigger():
        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'owner changes are frozen during the audit'; END $$"
            )

    english, chinese, _ = refused(refused_by_a_trigger)
    assert english == (
        "The database refused this record: owner changes are frozen during the audit"
    )
    assert chinese == "数据库拒绝了这条记录：owner changes are frozen during the audit"


def lost_connection(**kwargs):
    """A step's target whose database connection is gone (a restart, a failover)."""
    from django.db import OperationalError

    raise OperationalError("server closed the connection unexpectedly")


def test_a_step_that_lost_the_database_on_its_last_attempt_says_so_not_a_refused_record(
    settings,
):
    from retention.jobs import steps
    from retention.jobs.models import JobStep

    settings.JOBS_MAX_ATTEMPTS = 1
    step = JobStep.objects.create(
        day=dt.date(2026, 6, 30), name="roll_contracts", target=f"{__name__}.lost_connection"
    )
    with steps.in_this_process():
        steps.run_step(step.pk)
    step.refresh_from_db()
    assert step.status == "failed"
    assert step.error_text == (
        "The database did not answer (attempts: 1); run the step again once it does "
        "(the detail says why)."
    )
    assert "server closed the connection unexpectedly" in step.error
