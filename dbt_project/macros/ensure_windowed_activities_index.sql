{#- Hook of int_activities_unioned: a partial index of the activities of windowed types by
    occurrence time. int_lead_activities_accumulated reads the ones leaving their window each day: a
    day's slice of old activities is scattered over the whole table and mostly not windowed,
    so without it the daily run read a few hundred thousand cold pages for a few thousand
    rows. The index follows the rules: its name carries a hash of the windowed types, and a
    rules change replaces it. -#}
{% macro ensure_windowed_activities_index() -%}
    {%- set rules = scoring_rules() %}
    {%- set types = rules_windowed_activity_types(rules) %}
    {{- ensure_index(
        'int_activities_unioned_windowed_' ~ local_md5(types | join(','))[:8],
        '(occurred_at) where ' ~ is_windowed_activity('activity_type', rules),
        replaces='int_activities_unioned_windowed_') }}
{%- endmacro %}
