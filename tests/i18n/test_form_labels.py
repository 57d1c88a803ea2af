"""Every field of every form the pages show has a label marked for translation: a field
without one gets Django's English label made from its name ("Exit interview notes")
whatever the reader's language."""

import importlib
import inspect

from django import forms

FORM_MODULES = ["handover.forms", "customers.forms"]


def test_every_form_field_has_its_own_label():
    unlabelled = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for form_name, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, forms.BaseForm) or form.__module__ != name:
                continue
            for field_name, field in form.base_fields.items():
                if field.label is None and not field.widget.is_hidden:
                    unlabelled.append(f"{form_name}.{field_name}")
    assert unlabelled == []
