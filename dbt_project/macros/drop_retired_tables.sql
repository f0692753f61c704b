{#- Hook: drop the tables of earlier versions that no model writes any more, so an upgraded
    warehouse does not keep them (at 1M leads they hold about 1 GB):
      int_lead_activity_state(_runs), int_lead_activities_pivoted(_runs): the per-(lead, type)
      state and its per-lead pivot, replaced by int_lead_activities_accumulated.
    `schema`: the intermediate models' schema. Run after the views that read those tables have
    been replaced (lead_score_factors' post-hook). A
    table something else still depends on (a user's own view) is kept, with a notice. -#}
{% macro drop_retired_tables(schema) -%}
do $drop_retired_tables$
declare
    retired text;
begin
    foreach retired in array array['int_lead_activities_pivoted', 'int_lead_activities_pivoted_runs',
                                   'int_lead_activity_state', 'int_lead_activity_state_runs'] loop
        begin
            execute format('drop table if exists %I.%I', '{{ schema }}', retired);
        exception when dependent_objects_still_exist then
            raise notice 'kept %: other objects depend on it', retired;
        end;
    end loop;
end
$drop_retired_tables$
{%- endmacro %}
