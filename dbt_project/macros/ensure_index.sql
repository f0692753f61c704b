{#- Kept beside dbt's `indexes` config (every plain index) for what it cannot do: a partial
    index (`where …`), and one that follows the rules (it only indexes a table it (re)builds).
    Hook: make sure the model's table has index `name` on `definition` ("(columns)", optionally
    followed by "where …"). `create index if not exists` is not enough: when dbt rebuilds a
    table (every table model, a full refresh of an incremental one) it first renames the old
    table to a backup that keeps its index names until after the post-hooks, so the new table
    silently got no index. Here an index of that name on another table (the backup) is dropped
    and the index is built on this table; one this table already has is kept (incremental
    runs), and a table that lost its index is repaired on the next run.
    `replaces`: a name prefix; this table's other indexes whose name starts with it are dropped
    (for an index whose definition, and so its name, follows the scoring rules). -#}
{% macro ensure_index(name, definition, unique=false, replaces=none) -%}
    {%- set table = this.include(database=false) -%}
do $ensure_index$
declare
    stale text;
begin
    {%- if replaces %}
    for stale in
        select i.relname from pg_index as x join pg_class as i on i.oid = x.indexrelid
        where x.indrelid = '{{ table }}'::regclass and starts_with(i.relname, '{{ replaces }}') and i.relname <> '{{ name }}'
    loop
        execute format('drop index {{ this.schema }}.%I', stale);
    end loop;
    {%- endif %}
    if not exists (
        select 1 from pg_index as x join pg_class as i on i.oid = x.indexrelid
        where x.indrelid = '{{ table }}'::regclass and i.relname = '{{ name }}'
    ) then
        drop index if exists {{ this.schema }}.{{ name }};
        create {{ 'unique ' if unique }}index {{ name }} on {{ table }} {{ definition }};
    end if;
end
$ensure_index$
{%- endmacro %}
