"""The facts of a whole chunk of families, computed by PostgreSQL itself.

It also writes the access log of the chunk (its entry and the families it shows), in the same statement.

This is the same definition as ``facts_document`` over ``events.timeline`` (corrections applied,
the child's state and history, parents' deaths, region, 低保/特困, later children and the
parents' divorce and remarriages on a date), written as one
SQL statement, so that a bulk stream costs Python nothing but copying bytes and PostgreSQL can
work on several chunks at once on the cores it has. A test checks that both give identical
documents.

The stream is bound by PostgreSQL's CPU time per family, so the statement is written for that:

- Each document is compact JSON text built by concatenation. Its values need no escaping
  (numbers, booleans, ISO dates, fixed words), except the region code and the hukou type, which
  go through ``to_json``. ``json_build_object`` costs several times as much per call.
- "The state after the latest of these events" (低保, 特困, recovery, disability level) is read
  from the greatest ``[day, id, value]`` array under ``max()``: events order by day, then by id,
  as in ``effective_facts``, and the last element carries what the latest one says. An aggregate
  with its own ``ORDER BY`` sorts each family's rows apart: a fixed cost per family and per
  aggregate. One is kept only where a list must keep its order (the parents, by member id) or
  where few families have rows (hukou moves, later children, divorces and remarriages).
- The child's history of most families is one event, taken whole from the family's aggregate;
  only children with several events go through windows in event order (one sort for the chunk),
  which also say what each event follows (a certificate held, a death).
- Events and members are each aggregated to one row per family, which the documents join.
  Parents' death dates come from the few ``parent_died`` events, not from joining every member
  to its family's whole event state.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import String, literal_column, text
from sqlalchemy.sql.elements import TextClause

from tefu_common.scoping import region_clause

# For the chunk's transaction only. The driver prepares statements, and after a few runs PostgreSQL
# may switch to a generic plan that ignores the id range (scanning every family): plan each chunk
# for its own range. JIT compiling costs more than it saves on a few thousand rows. Dates print ISO
# (YYYY-MM-DD), which FACTS relies on when it writes a date into the JSON text.
CHUNK_SETTINGS = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true),"
    " set_config('datestyle', 'ISO, YMD', true)"
)

CHUNK_END = """
SELECT max(id) FROM (
  SELECT id FROM family WHERE id > :after AND {in_region} ORDER BY id LIMIT :limit
) AS chunk
"""

# Events and members are read by family id range (an index range, not a scan of every row) and
# joined to the chunk's families before they are aggregated, so that a region spread thinly over
# the ids costs no aggregation for the families of other regions.
FACTS = r"""
WITH fam AS (
  SELECT f.id, f.region_code, f.registered_region_code, f.hukou_type, f.honor_certificate_no,
         f.honor_certificate_date, f.assistance_certificate_no, f.assistance_certificate_date
  FROM family f WHERE f.id > :after AND f.id <= :last AND {in_region}
),
entry AS (  -- the access log of this read, in the same statement (what AccessLog.record_from writes):
            -- one entry for the chunk, covering the stream's region, and one row per family it shows
  INSERT INTO access_log (at, subject, role, institution, region_code, endpoint, request_id)
  SELECT CAST(:read_at AS timestamptz), CAST(:subject AS text), CAST(:role AS text), CAST(:institution AS text),
         CAST(:region AS text), CAST(:endpoint AS text), CAST(:request_id AS text)
  WHERE EXISTS (SELECT FROM fam)
  RETURNING id
),
logged AS (
  INSERT INTO access_log_family (entry_id, family_id, region_code)
  SELECT entry.id, fam.id, fam.region_code FROM entry CROSS JOIN fam
),
recorded AS (
  SELECT family_id, id, kind, occurred_on, member_role, details, corrects_event_id
  FROM life_event WHERE family_id > :after AND family_id <= :last
),
latest_correction AS (  -- the last correction of each corrected event decides what it now says
  SELECT DISTINCT ON (corrects_event_id) corrects_event_id, family_id, details -> 'replacement' AS replacement
  FROM recorded WHERE kind = 'correction' AND corrects_event_id IS NOT NULL
  ORDER BY corrects_event_id, id DESC
),
known AS (  -- the events as they now stand (a void correction removes one) that happened by :as_of
  SELECT r.family_id, r.id, r.kind, r.occurred_on, r.member_role AS member, r.details
  FROM recorded r JOIN fam ON fam.id = r.family_id
  WHERE r.kind <> 'correction' AND r.occurred_on <= :as_of
    AND NOT EXISTS (SELECT FROM latest_correction c WHERE c.corrects_event_id = r.id)
  UNION ALL
  SELECT family_id, corrects_event_id, replacement ->> 'kind', (replacement ->> 'occurred_on')::date,
         replacement ->> 'member', replacement
  FROM latest_correction
  WHERE json_typeof(replacement) = 'object' AND (replacement ->> 'occurred_on')::date <= :as_of
),
state AS (  -- one row per family with events; [day, id, value] arrays: the greatest is the latest event
  SELECT family_id,
    (max(ARRAY[occurred_on - DATE '0001-01-01', id, (kind = 'low_income_began')::int])
       FILTER (WHERE kind IN ('low_income_began', 'low_income_ended')))[3] = 1 AS low_income,
    (max(ARRAY[occurred_on - DATE '0001-01-01', id, (kind = 'extreme_poverty_began')::int])
       FILTER (WHERE kind IN ('extreme_poverty_began', 'extreme_poverty_ended')))[3] = 1 AS extreme_poverty,
    min(occurred_on) FILTER (WHERE kind = 'child_died') AS died_on,
    min(occurred_on) FILTER (WHERE kind = 'disability_certified') AS certified_on,
    (max(ARRAY[occurred_on - DATE '0001-01-01', id, (kind = 'child_recovered')::int])
       FILTER (WHERE kind IN ('disability_certified', 'child_recovered')))[3] = 1 AS recovered,
    max(occurred_on) FILTER (WHERE kind = 'child_recovered') AS recovered_on,
    (max(ARRAY[occurred_on - DATE '0001-01-01', id, (details ->> 'level')::int])
       FILTER (WHERE kind IN ('disability_certified', 'disability_level_changed')))[3] AS level,
    count(*) FILTER (WHERE kind IN ('child_died', 'disability_certified', 'disability_level_changed',
                                    'child_recovered')) AS child_events,
    -- the whole history of a child with one event (most children): that event, if it can stand alone
    max({entry}) FILTER (WHERE kind IN ('child_died', 'disability_certified')) AS only_entry
  FROM known GROUP BY family_id
),
moved AS (  -- the region of the latest hukou move
  SELECT DISTINCT ON (family_id) family_id, details ->> 'to_region' AS region
  FROM known WHERE kind = 'hukou_moved' ORDER BY family_id, occurred_on DESC, id DESC
),
later AS (  -- later children, as the JSON list's items
  SELECT family_id, string_agg(
      '{"kind":"' || CASE kind WHEN 'later_child_born' THEN 'birth' ELSE 'adoption' END || '","date":"' || occurred_on
      || '","assisted_reproduction":' || COALESCE((details ->> 'assisted_reproduction')::boolean, false)
      || ',"parent":' || CASE WHEN member IN ('mother', 'father') THEN '"' || member || '"' ELSE 'null' END || '}',
      ',' ORDER BY occurred_on, id) AS items
  FROM known WHERE kind IN ('later_child_born', 'later_child_adopted') GROUP BY family_id
),
marriage AS (  -- divorces and remarriages, as the JSON list's items
  SELECT family_id, string_agg(
      '{"kind":"' || kind || '","on":"' || occurred_on || '","member":'
      || CASE WHEN member IN ('mother', 'father') THEN '"' || member || '"' ELSE 'null' END || '}',
      ',' ORDER BY occurred_on, id) AS items
  FROM known WHERE kind IN ('divorced', 'remarried') GROUP BY family_id
),
child_events AS (  -- the events of a child with several, each with what came before it (in day, then id
                   -- order): whether a certificate was held (the latest certification or recovery
                   -- was a certification) and whether the child had died
  SELECT family_id, id, kind, occurred_on, details,
    (max(ARRAY[occurred_on - DATE '0001-01-01', id, (kind = 'disability_certified')::int])
       FILTER (WHERE kind IN ('disability_certified', 'child_recovered')) OVER earlier)[3] = 1 AS held,
    COALESCE(bool_or(kind = 'child_died') OVER earlier, false) AS after_death
  FROM known k WHERE kind IN ('child_died', 'disability_certified', 'disability_level_changed', 'child_recovered')
    AND EXISTS (SELECT FROM state s WHERE s.family_id = k.family_id AND s.child_events > 1)
  WINDOW earlier AS (PARTITION BY family_id ORDER BY occurred_on, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
history AS (  -- their history (timeline.child_history) as the JSON list's items: a level change or a
              -- recovery only while a certificate is held, nothing after the first death. Joined by
              -- a window in event order (one sort for the chunk, not one per family): the last row
              -- of each family holds the whole list.
  SELECT family_id, items FROM (
    SELECT family_id, string_agg(item, ',') OVER so_far AS items, lead(id) OVER so_far IS NULL AS last
    FROM (
      SELECT family_id, id, occurred_on,
        CASE WHEN NOT after_death AND (kind IN ('child_died', 'disability_certified') OR held) THEN {entry} END AS item
      FROM child_events
    ) AS entries
    WINDOW so_far AS (PARTITION BY family_id ORDER BY occurred_on, id ROWS UNBOUNDED PRECEDING)
  ) AS running WHERE last
),
deaths AS (
  SELECT family_id, member AS role, min(occurred_on) AS died_on
  FROM known WHERE kind = 'parent_died' GROUP BY family_id, member
),
people AS (  -- the parents as the JSON list's items; the last child by id (as facts_document) as
             -- [id, birth day, adopted, adoption day]
  SELECT m.family_id,
    string_agg(
      '{"id":' || m.id || ',"role":"' || m.role || '","birth_date":' || COALESCE('"' || m.birth_date || '"', 'null')
      || ',"death_date":' || COALESCE('"' || d.died_on || '"', 'null')
      || ',"in_resident_pension":' || COALESCE(m.in_resident_pension, false)
      || ',"monthly_basic_pension":' || COALESCE('"' || m.monthly_basic_pension || '"', 'null') || '}',
      ',' ORDER BY m.id) FILTER (WHERE m.role IN ('mother', 'father')) AS parents,
    max(ARRAY[m.id, m.birth_date - DATE '0001-01-01', COALESCE(m.adopted, false)::int,
              CASE WHEN m.adopted THEN m.joined_on - DATE '0001-01-01' END])
      FILTER (WHERE m.role = 'child') AS child
  FROM member m JOIN fam ON fam.id = m.family_id LEFT JOIN deaths d ON d.family_id = m.family_id AND d.role = m.role
  WHERE m.family_id > :after AND m.family_id <= :last
  GROUP BY m.family_id
)
SELECT '{"family_id":' || fam.id || ',"as_of":"' || CAST(:as_of_text AS text) || '","family":{'
  || '"region_code":' || to_json(COALESCE(mv.region, fam.registered_region_code))::text
  || ',"hukou_type":' || to_json(fam.hukou_type)::text
  || ',"honor_certificate":' || (fam.honor_certificate_no IS NOT NULL AND fam.honor_certificate_no <> ''
                                 AND (fam.honor_certificate_date IS NULL OR fam.honor_certificate_date <= :as_of))
  || ',"assistance_certificate":' || (fam.assistance_certificate_no IS NOT NULL AND fam.assistance_certificate_no <> ''
                                 AND (fam.assistance_certificate_date IS NULL OR fam.assistance_certificate_date <= :as_of))
  || ',"low_income":' || COALESCE(s.low_income, false)
  || ',"extreme_poverty":' || COALESCE(s.extreme_poverty, false)
  || ',"parents":[' || COALESCE(p.parents, '') || ']'
  || ',"child":' || COALESCE(
       '{"id":' || p.child[1]
       || ',"birth_date":' || COALESCE('"' || (DATE '0001-01-01' + p.child[2]) || '"', 'null')
       || ',"adopted":' || (p.child[3] = 1)
       || ',"adopted_on":' || COALESCE('"' || (DATE '0001-01-01' + p.child[4]) || '"', 'null')
       || ',"status":"' || CASE WHEN s.died_on IS NOT NULL THEN 'deceased'
                                WHEN s.certified_on IS NOT NULL THEN 'disabled' ELSE 'living' END || '"'
       || ',"event_date":' || COALESCE('"' || COALESCE(s.died_on, s.certified_on) || '"', 'null')
       || ',"disability_level":' || COALESCE(s.level::text, 'null')
       || ',"recovered_on":' || COALESCE('"' || CASE WHEN s.recovered THEN s.recovered_on END || '"', 'null')
       || ',"history":[' || COALESCE(CASE WHEN s.child_events > 1 THEN h.items ELSE s.only_entry END, '') || ']'
       || '}', 'null')
  || ',"later_children":[' || COALESCE(l.items, '') || ']'
  || ',"marriage":[' || COALESCE(mr.items, '') || ']}}' AS document
FROM fam LEFT JOIN state s ON s.family_id = fam.id LEFT JOIN people p ON p.family_id = fam.id
  LEFT JOIN moved mv ON mv.family_id = fam.id LEFT JOIN later l ON l.family_id = fam.id
  LEFT JOIN history h ON h.family_id = fam.id LEFT JOIN marriage mr ON mr.family_id = fam.id
ORDER BY fam.id
"""


# One entry of the child's history as JSON text (the items ``timeline.child_history`` makes).
HISTORY_ENTRY = """'{"kind":"' || CASE kind WHEN 'child_died' THEN 'died' WHEN 'disability_certified' THEN 'disabled'
                             WHEN 'disability_level_changed' THEN 'level_changed' ELSE 'recovered' END
    || '","on":"' || occurred_on || '","level":'
    || CASE WHEN kind IN ('disability_certified', 'disability_level_changed')
            THEN COALESCE((details ->> 'level')::int::text, 'null') ELSE 'null' END
    || ',"certificate":' || CASE WHEN kind = 'disability_certified'
                                 THEN COALESCE(to_json(details ->> 'category')::text, 'null') ELSE 'null' END || '}'"""
FACTS = FACTS.replace("{entry}", HISTORY_ENTRY)


@functools.lru_cache(maxsize=256)
def _statements(in_family: str, in_fam: str) -> tuple[TextClause, TextClause]:
    # str.replace, not str.format: the statement's JSON text is full of braces.
    return text(CHUNK_END.replace("{in_region}", in_family)), text(FACTS.replace("{in_region}", in_fam))


def statements_for(region: str, dialect: Any) -> tuple[TextClause, TextClause]:
    """CHUNK_END and FACTS for the families under ``region``.

    The region condition is the scoping helper's own, written into the statement as SQL (the
    region code is a validated string of digits), so that these two hand-written statements scope
    exactly as every other query does.
    """
    def condition(column: str) -> str:
        clause = region_clause(literal_column(column, String), region)
        return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    return _statements(condition("region_code"), condition("f.region_code"))
