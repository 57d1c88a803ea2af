# Amounts grouped by thousands with commas ("EUR 9,455,709"), as Chinese business and
# financial writing does (CLDR zh: group ",", grouping 3); Django's zh_Hans module groups
# nothing. Dates and the rest come from Django's zh_Hans formats.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
