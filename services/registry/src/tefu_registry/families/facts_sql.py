"""The facts of a whole chunk of families, computed by PostgreSQL itself.

It also writes the access-log row of every family it reads, in the same statement.

This is the same definition as ``facts_document`` over ``events.timeline`` (corrections applied,
the child's state, parents' deaths, region, 低保/特困 and later children on a date), written as one
SQL statement, so that a bulk stream costs Python nothing but copying bytes and PostgreSQL can
work on two chunks at once on two cores. A test checks that both give identical documents.
"""

from __future__ import annotations

from sqlalchemy import text

# For the chunk's transaction only. The driver prepares statements, and after a few runs PostgreSQL
# may switch to a generic plan that ignores the id range (scanning every family): plan each chunk
# for its own range. JIT compiling costs more than it saves on a few thousand rows. Dates print ISO.
CHUNK_SETTINGS = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true),"
    " set_config('datestyle', 'ISO, YMD', true)"
)

CHUNK_END = text("""
SELECT max(id) FROM (
  SELECT id FROM family WHERE id > :after AND region_code LIKE :pattern ORDER BY id LIMIT :limit
) AS chunk
""")

FACTS = text(r"""
WITH fam AS (
  SELECT f.id, f.region_code, f.registered_region_code, f.hukou_type, f.honor_certificate_no,
         f.honor_certificate_date, f.assistance_certificate_no, f.assistance_certificate_date
  FROM family f WHERE f.id > :after AND f.id <= :last AND f.region_code LIKE :pattern
),
logged AS (  -- the access log of this read, in the same statement (see access_log.service.log_reads)
  INSERT INTO access_log (at, subject, role, family_id, region_code, endpoint, request_id)
  SELECT CAST(:read_at AS timestamptz), CAST(:subject AS text), CAST(:role AS text), fam.id, fam.region_code,
         CAST(:endpoint AS text), CAST(:request_id AS text)
  FROM fam
),
recorded AS (
  SELECT e.* FROM life_event e JOIN fam ON fam.id = e.family_id
  WHERE e.family_id > :after AND e.family_id <= :last  -- an index range, not a scan of every event
),
latest_correction AS (  -- the last correction of each corrected event decides what it now says
  SELECT DISTINCT ON (corrects_event_id) corrects_event_id, family_id, details -> 'replacement' AS replacement
  FROM recorded WHERE kind = 'correction' ORDER BY corrects_event_id, id DESC
),
ev AS (
  SELECT r.family_id, r.id, r.kind, r.occurred_on, r.member_role AS member, r.details AS details
  FROM recorded r
  WHERE r.kind <> 'correction' AND NOT EXISTS (SELECT 1 FROM latest_correction c WHERE c.corrects_event_id = r.id)
  UNION ALL
  SELECT c.family_id, c.corrects_event_id, c.replacement ->> 'kind', (c.replacement ->> 'occurred_on')::date,
         c.replacement ->> 'member', c.replacement
  FROM latest_correction c WHERE json_typeof(c.replacement) = 'object'
),
known AS (SELECT * FROM ev WHERE occurred_on <= :as_of),
state AS (  -- one row per family: what its events say on :as_of (latest first where the last one counts)
  SELECT family_id,
    (array_agg(details ->> 'to_region' ORDER BY occurred_on DESC, id DESC) FILTER (WHERE kind = 'hukou_moved'))[1] AS region,
    (array_agg(kind ORDER BY occurred_on DESC, id DESC)
       FILTER (WHERE kind IN ('low_income_began', 'low_income_ended')))[1] = 'low_income_began' AS low_income,
    (array_agg(kind ORDER BY occurred_on DESC, id DESC)
       FILTER (WHERE kind IN ('extreme_poverty_began', 'extreme_poverty_ended')))[1] = 'extreme_poverty_began' AS extreme_poverty,
    min(occurred_on) FILTER (WHERE kind = 'parent_died' AND member = 'mother') AS mother_died,
    min(occurred_on) FILTER (WHERE kind = 'parent_died' AND member = 'father') AS father_died,
    min(occurred_on) FILTER (WHERE kind = 'child_died') AS died_on,
    min(occurred_on) FILTER (WHERE kind = 'disability_certified') AS certified_on,
    (array_agg(kind ORDER BY occurred_on DESC, id DESC)
       FILTER (WHERE kind IN ('disability_certified', 'child_recovered')))[1] = 'child_recovered' AS recovered,
    max(occurred_on) FILTER (WHERE kind = 'child_recovered') AS recovered_on,
    (array_agg((details ->> 'level')::int ORDER BY occurred_on DESC, id DESC)
       FILTER (WHERE kind IN ('disability_certified', 'disability_level_changed')))[1] AS level,
    json_agg(json_build_object(
        'kind', CASE kind WHEN 'later_child_born' THEN 'birth' ELSE 'adoption' END,
        'date', (occurred_on)::text,
        'assisted_reproduction', COALESCE((details ->> 'assisted_reproduction')::boolean, false))
      ORDER BY occurred_on, id) FILTER (WHERE kind IN ('later_child_born', 'later_child_adopted')) AS later
  FROM known GROUP BY family_id
),
people AS (
  SELECT m.family_id,
    json_agg(json_build_object(
        'id', m.id, 'role', m.role, 'birth_date', (m.birth_date)::text,
        'death_date', (CASE m.role WHEN 'mother' THEN s.mother_died ELSE s.father_died END)::text,
        'in_resident_pension', m.in_resident_pension, 'monthly_basic_pension', m.monthly_basic_pension::text)
      ORDER BY m.id) FILTER (WHERE m.role IN ('mother', 'father')) AS parents,
    (json_agg(json_build_object(
        'id', m.id, 'birth_date', (m.birth_date)::text, 'adopted', m.adopted,
        'status', CASE WHEN s.died_on IS NOT NULL THEN 'deceased' WHEN s.certified_on IS NOT NULL THEN 'disabled'
                       ELSE 'living' END,
        'event_date', (COALESCE(s.died_on, s.certified_on))::text,
        'disability_level', s.level,
        'recovered_on', (CASE WHEN s.recovered THEN s.recovered_on END)::text)
      ORDER BY m.id) FILTER (WHERE m.role = 'child')) -> 0 AS child
  FROM member m JOIN fam ON fam.id = m.family_id LEFT JOIN state s ON s.family_id = m.family_id
  WHERE m.family_id > :after AND m.family_id <= :last  -- an index range, not a scan of every member
  GROUP BY m.family_id
)
SELECT json_build_object(
  'family_id', fam.id,
  'as_of', CAST(:as_of_text AS text),
  'family', json_build_object(
    'region_code', COALESCE(s.region, fam.registered_region_code),
    'hukou_type', fam.hukou_type,
    'honor_certificate', fam.honor_certificate_no IS NOT NULL AND fam.honor_certificate_no <> ''
                         AND (fam.honor_certificate_date IS NULL OR fam.honor_certificate_date <= :as_of),
    'assistance_certificate', fam.assistance_certificate_no IS NOT NULL AND fam.assistance_certificate_no <> ''
                         AND (fam.assistance_certificate_date IS NULL OR fam.assistance_certificate_date <= :as_of),
    'low_income', COALESCE(s.low_income, false),
    'extreme_poverty', COALESCE(s.extreme_poverty, false),
    'parents', COALESCE(p.parents, '[]'::json),
    'child', p.child,
    'later_children', COALESCE(s.later, '[]'::json)
  )
)::text AS document
FROM fam LEFT JOIN state s ON s.family_id = fam.id LEFT JOIN people p ON p.family_id = fam.id
ORDER BY fam.id
""")
