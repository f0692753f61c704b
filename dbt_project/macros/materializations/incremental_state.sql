{#- materialized='incremental_state': a table kept from one run to the next, optionally with a
    record of every run in `<table>_runs` (invocation_id, as_of, watermark, rules_version, mode,
    recorded_at). The model's SELECT says which rows a run reads; this says whether it may read
    only the new ones, and writes the result.

    A run is incremental when the table exists with the columns `expect_columns` (in any order),
    neither `--full-refresh` nor a missing relation in `requires` forces a full one, and, for a
    model that keeps runs, the previous run on record had the same rules version and a scoring
    time (as_of) no later than this one. The model reads the decision from
    incremental_state_full(), and the previous run's {'as_of', 'watermark'} (timestamptz
    literals; none on a full run) from incremental_state_previous().

    Config (besides `indexes`, `on_schema_change` and the hooks dbt applies as usual):
      unique_key      rows are upserted on it (`insert … on conflict do update`, which needs a
                      unique index on it: give one in `indexes`).
      listed_in       or: a model listing lead_ids (int_leads_changed); those leads' rows are
                      deleted and the SELECT's rows appended, and the list's run is confirmed.
                      With either, a full run on an existing table deletes every row first;
                      with neither, the table is rebuilt every run.
      watermark       ['model.column' or 'source.table.column', …]: the model keeps runs, and
                      the newest of these after a run is recorded as its watermark (what the
                      next run reads beyond).
      expect_columns  the name of a macro returning the table's columns; a table without them
                      (an older version's, or rules with other signals) is recomputed in full,
                      its run history cleared, its columns synced (on_schema_change).
      confirmed_by    models that confirm each run (their listed_in); the next run starts from
                      the newest run all of them confirmed.
      requires        relations of this schema whose absence forces a full run.
      fillfactor      percent of each page kept for updates, set when missing.
      analyze         true, or the columns to analyze (analyze_if_stale) after the write.
      full_run_settings  {setting: value}: planner settings for a full run only (set local,
                      so they end with the model's transaction); see docs/physical-tuning.md.
    The run is recorded in the same transaction as the write: a failed run leaves no record. -#}
{% materialization incremental_state, adapter='postgres' %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set listed_in = config.get('listed_in') -%}
    {%- set full = incremental_state_full() -%}
    {%- set rebuild = existing is none or not existing.is_table or not (unique_key or listed_in) or should_full_refresh() -%}
    {%- set columns_changed = not rebuild and incremental_state_columns_changed(existing) -%}
    {%- set grant_config = config.get('grants') -%}
    {%- if config.get('watermark') %}
        {{ log(this.identifier ~ ": " ~ ('full' if full else 'incremental') ~ " (rules " ~ rules_version() ~ ")", info=True) }}
    {%- endif %}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if full or rebuild %}
        {%- for setting, value in (config.get('full_run_settings') or {}).items() %}
            {% do run_query('set local ' ~ setting ~ ' = ' ~ value) %}
        {%- endfor %}
    {%- endif %}

    {%- set to_drop = [] %}
    {%- if rebuild %}
        {#- a new table under a temporary name, indexed, then swapped in (as dbt's table
            materialization does) -#}
        {%- set intermediate = make_intermediate_relation(target) %}
        {%- set backup = make_backup_relation(target, existing.type if existing is not none else 'table') %}
        {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
        {{ drop_relation_if_exists(load_cached_relation(backup)) }}
        {% call statement('main') %}{{ get_create_table_as_sql(False, intermediate, sql) }}{% endcall %}
        {% do create_indexes(intermediate) %}
        {%- if existing is not none %}
            {% do adapter.rename_relation(existing, backup) %}
            {% do to_drop.append(backup) %}
        {%- endif %}
        {% do adapter.rename_relation(intermediate, target) %}
    {%- else %}
        {#- the write replaces only the rows it writes (and the listed leads'): a full run
            clears the rest first -#}
        {%- if full %}
            {% do run_query("delete from " ~ target) %}
        {%- elif listed_in %}
            {% do run_query("delete from " ~ target ~ " where lead_id in (select lead_id from " ~ ref(listed_in) ~ ")") %}
        {%- endif %}
        {%- set temp = make_temp_relation(target) %}
        {% do run_query(get_create_table_as_sql(True, temp, sql)) %}
        {% do adapter.expand_target_column_types(from_relation=temp, to_relation=target) %}
        {%- set columns = process_schema_changes(config.get('on_schema_change', 'ignore'), temp, existing)
                          or adapter.get_columns_in_relation(existing) %}
        {% call statement('main') %}{{ incremental_state_write(target, temp, unique_key, columns | map(attribute='name') | list) }}{% endcall %}
    {%- endif %}

    {%- if config.get('watermark') %}{% do incremental_state_record(full, clear=columns_changed) %}{% endif %}
    {%- if listed_in %}{% do run_query(incremental_state_confirm(listed_in)) %}{% endif %}
    {%- if config.get('fillfactor') %}{% do incremental_state_fillfactor(target, config.get('fillfactor')) %}{% endif %}
    {%- if config.get('analyze') %}
        {% do run_query(analyze_if_stale(columns=none if config.get('analyze') is sameas true else config.get('analyze'))) %}
    {%- endif %}

    {% do apply_grants(target, grant_config, should_revoke=should_revoke(existing, full_refresh_mode=rebuild)) %}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {%- for relation in to_drop %}{% do adapter.drop_relation(relation) %}{% endfor %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}

{#- The relation holding the runs of the model being built. -#}
{% macro incremental_state_runs() -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '_runs', type='table')) }}
{%- endmacro %}

{#- The decision (see above): whether this run recomputes everything. Reads only: the model
    renders with it, and the materialization takes the same decision before it writes. -#}
{% macro incremental_state_full() -%}
    {{ return((incremental_state_previous() is none) if config.get('watermark') else incremental_state_from_scratch()) }}
{%- endmacro %}

{#- Whether the table has to be recomputed whatever its runs say. -#}
{% macro incremental_state_from_scratch() -%}
    {%- if not execute or should_full_refresh() %}{{ return(true) }}{% endif %}
    {%- set existing = load_relation(this) %}
    {%- if existing is none or not existing.is_table %}{{ return(true) }}{% endif %}
    {%- for name in config.get('requires') or [] %}
        {%- if adapter.get_relation(this.database, this.schema, name) is none %}{{ return(true) }}{% endif %}
    {%- endfor %}
    {{ return(incremental_state_columns_changed(existing)) }}
{%- endmacro %}

{#- The previous run of a model that keeps runs, as {'as_of', 'watermark'} literals (a
    literal, unlike a subquery, lets the planner see how few rows are new); none when this run
    recomputes everything. -#}
{% macro incremental_state_previous() -%}
    {%- if incremental_state_from_scratch() or load_relation(incremental_state_runs()) is none %}{{ return(none) }}{% endif %}
    {%- set confirmed_by = config.get('confirmed_by') or [] %}
    {%- set row = run_query("select " ~ iso_utc('as_of') ~ ", " ~ iso_utc('watermark') ~ ", rules_version = '" ~ rules_version()
                            ~ "' and as_of <= " ~ as_of() ~ " from " ~ incremental_state_runs()
                            ~ (" where consumed_by @> array['" ~ confirmed_by | join("', '") ~ "']" if confirmed_by else "")
                            ~ " order by recorded_at desc limit 1").rows %}
    {%- if row | length == 1 and row[0][2] and row[0][0] is not none and row[0][1] is not none %}
        {{ return({'as_of': "cast('" ~ row[0][0] ~ "' as timestamptz)", 'watermark': "cast('" ~ row[0][1] ~ "' as timestamptz)"}) }}
    {%- endif %}
    {{ return(none) }}
{%- endmacro %}

{#- Whether the table's column names differ from those the macro named by config
    `expect_columns` returns (called now: they may follow the rules; dbt appends added columns
    at the end, so in any order). -#}
{% macro incremental_state_columns_changed(relation) -%}
    {%- set macro_name = config.get('expect_columns') %}
    {%- if not macro_name %}{{ return(false) }}{% endif %}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | sort | list != context[macro_name]() | sort | list) }}
{%- endmacro %}

{#- Record this run: created with its runs table; a table whose columns changed has its history
    cleared, so the record says this was a full run and the next one starts from it. -#}
{% macro incremental_state_record(full, clear) -%}
    {%- set runs = incremental_state_runs() %}
    {%- set watermark = [] %}
    {%- for item in config.get('watermark') or [] %}
        {%- set parts = item.split('.') %}
        {%- set relation = ref(parts[0]) if parts | length == 2 else source(parts[0], parts[1]) %}
        {%- do watermark.append('(select max(' ~ parts[-1] ~ ') from ' ~ relation ~ ')') %}
    {%- endfor %}
    {% call statement('incremental_state_record') %}
        create table if not exists {{ runs }} (invocation_id text, as_of timestamptz, watermark timestamptz,
            rules_version text, mode text,{{ " consumed_by text[] not null default '{}'," if config.get('confirmed_by') }}
            recorded_at timestamptz default now());
        {%- if clear %}
        delete from {{ runs }};
        {%- endif %}
        insert into {{ runs }} (invocation_id, as_of, watermark, rules_version, mode)
        values ('{{ invocation_id }}', {{ as_of() }}, {{ 'greatest(' ~ watermark | join(', ') ~ ')' if watermark else 'null' }},
                '{{ rules_version() }}', '{{ 'full' if full else 'incremental' }}')
    {% endcall %}
{%- endmacro %}

{#- A model in `confirmed_by` has consumed the newest run of `state` (its listed_in), so the
    next run may start from that run's watermark once every consumer has. (Each model confirms
    by itself because Cosmos runs every model as its own dbt invocation.) -#}
{% macro incremental_state_confirm(state) -%}
    {%- set runs = this.schema ~ '.' ~ state ~ '_runs' -%}
    update {{ runs }}
    set consumed_by = array_append(consumed_by, '{{ this.identifier }}')
    where invocation_id = (select invocation_id from {{ runs }} order by recorded_at desc limit 1)
      and not ('{{ this.identifier }}' = any(consumed_by))
{%- endmacro %}

{#- Appended; with a unique_key upserted, `insert … on conflict (unique_key) do update`: one
    index probe per new row. Cheaper than delete+insert, which first scans for the rows to
    delete, and than merge, which Postgres may plan as a join over the whole target. -#}
{% macro incremental_state_write(target, source, unique_key, columns) -%}
    insert into {{ target }} ({{ get_quoted_csv(columns) }})
    select {{ get_quoted_csv(columns) }} from {{ source }}
    {%- if unique_key %}
    {%- set keys = [unique_key] if unique_key is string else unique_key %}
    on conflict ({{ keys | join(', ') }}) do update set
    {%- for c in columns | reject('in', keys) %}
        {{ adapter.quote(c) }} = excluded.{{ adapter.quote(c) }}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- Keep `percent` of each page for updates (docs/physical-tuning.md): set only when missing,
    so a daily run takes no lock for it. Pages written before (a full build) stay full. -#}
{% macro incremental_state_fillfactor(target, percent) -%}
    {%- set current = run_query("select coalesce('fillfactor=" ~ percent ~ "' = any(reloptions), false) from pg_class where oid = '"
                                ~ target.include(database=false) ~ "'::regclass").rows[0][0] %}
    {%- if not current %}{% do run_query("alter table " ~ target ~ " set (fillfactor = " ~ percent ~ ")") %}{% endif %}
{%- endmacro %}
