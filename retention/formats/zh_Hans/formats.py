# Amounts grouped by thousands with commas ("EUR 9,455,709"), as Chinese business and
# financial writing does (CLDR zh: group ",", grouping 3); Django's zh_Hans module groups
# nothing. Dates and the rest come from Django's zh_Hans formats.
# Days within a month as Chinese writes them ("9月6日"); Django's zh_Hans module pads the
# month ("09月6日").
MONTH_DAY_FORMAT = "n月j日"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
