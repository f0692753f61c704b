{#- Hook: drop the tables of earlier versions that no model writes any more, so an upgraded
    warehouse does not keep them (at 1M leads they hold about 1 GB):
      int_lead_activity_state(_runs), int_lead_activities_pivoted(_runs): the per-(lead, type)
      state and its per-lead pivot, replaced by int_lead_activities_accumulated.
      marts.tier_conversion: today's tiers against today's CRM state (a customer counted as a
      converted SQL), replaced by the backtests' marts.score_backtests.
    `schema`: the schema the `tables` were in. Run after the views that read those tables have
    been replaced (lead_score_factors' post-hook). A
    table something else still depends on (a user's own view) is kept, with a notice. -#}
{% macro drop_retired_tables(schema, tables=['int_lead_activities_pivoted', 'int_lead_activities_pivoted_runs',
                                              'int_lead_activity_state', 'int_lead_activity_state_runs']) -%}
do $drop_retired_tables$
declare
    retired text;
begin
    foreach retired in array array[{% for t in tables %}'{{ t }}'{{ ', ' if not loop.last }}{% endfor %}]::text[] loop
        begin
            execute format('drop table if exists %I.%I', '{{ schema }}', retired);
        exception when dependent_objects_still_exist then
            raise notice 'kept %: other objects depend on it', retired;
        end;
    end loop;
end
$drop_retired_tables$
{%- endmacro %}
