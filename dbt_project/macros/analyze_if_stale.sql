{#- Hook: analyze the model's table when the planner has no statistics for it (a table this run
    built) or when more than a tenth of its rows changed since its last analyze (autovacuum's
    own rule, applied here so that the next model's plans can count on it). A daily run's small
    delta into a table of millions of rows skips the sampling pass (0.1-0.3 s per table at 1M
    leads) and leaves drifting statistics to this rule and autovacuum.
    `columns`: analyze only these now (the ones the next queries filter, join or group on).
    Postgres keeps the table's change counter when a subset is analyzed, so autovacuum still
    analyzes every column shortly after. -#}
{% macro analyze_if_stale(columns=none) -%}
    {%- set table = this.include(database=false) -%}
do $analyze_if_stale$
begin
    if exists (
        select 1
        from pg_class as c
        join pg_stat_user_tables as s on s.relid = c.oid
        where c.oid = '{{ table }}'::regclass
          and (c.reltuples < 0
               or coalesce(s.last_analyze, s.last_autoanalyze) is null
               or s.n_mod_since_analyze > 50 + 0.1 * c.reltuples)
    ) then
        analyze {{ table }}{% if columns %} ({{ columns | join(', ') }}){% endif %};
    end if;
end
$analyze_if_stale$
{%- endmacro %}
