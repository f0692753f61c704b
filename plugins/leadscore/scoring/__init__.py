"""Lead scoring: the rules file loader/validator, the dbt runner and `explain`.

The scoring itself is SQL in dbt_project/ (staging → intermediate → marts), generated from
dbt_project/scoring_rules.yml; this package validates that file (the only validator) and
hands it to dbt, runs dbt with the warehouse's connection settings, and reads scores back for
humans.
"""
