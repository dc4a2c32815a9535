"""Searching families by part of a name and by the last 4 or 6 characters of an ID number."""

from __future__ import annotations

from datetime import date

from tefu_common.testing import bearer

from .builders import family_body, id_number


async def register(client, token, body, region="370306") -> int:
    response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk", region=region)))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def named(mother: str, father: str, child: str, region: str = "370306", **extra) -> dict:
    body = family_body(region, **extra)
    body["mother"]["name"] = body["mother"]["bank_account"]["holder"] = mother
    body["father"]["name"] = father
    body["child"]["name"] = child
    return body


async def found(client, clerk, **params) -> tuple[list[int], int]:
    response = await client.get("/v1/families", params=params, headers=clerk)
    assert response.status_code == 200, response.text
    page = response.json()
    return [f["id"] for f in page["items"]], page["total"]


def id_ending_in_x(region: str, birth: date, sex: str) -> str:
    """A valid ID number whose check character is X (about one sequence in eleven has it)."""
    return next(n for n in (id_number(region, birth, sex, seq) for seq in range(400, 500)) if n.endswith("X"))


async def test_part_of_any_members_name_finds_the_family(client, token):
    li = await register(client, token, named("李秀英", "王建国", "王小明"))
    zhang = await register(client, token, named("张桂兰", "赵志强", "赵秀梅", mother_birth=date(1966, 4, 12),
                                                father_birth=date(1965, 9, 20)))
    clerk = bearer(token(role="clerk"))
    assert await found(client, clerk, name_contains="张") == ([zhang], 1)  # a surname
    assert await found(client, clerk, name_contains="秀英") == ([li], 1)  # a given name
    assert await found(client, clerk, name_contains="小明") == ([li], 1)  # the child's name
    assert await found(client, clerk, name_contains="建国") == ([li], 1)  # the father's
    assert await found(client, clerk, name_contains="秀") == ([li, zhang], 2)  # one character, in both families
    assert await found(client, clerk, name_contains="李秀英") == ([li], 1)  # a whole name is part of itself
    assert await found(client, clerk, name_contains=" 桂兰 ") == ([zhang], 1)
    assert await found(client, clerk, name_contains="英秀") == ([], 0)  # the characters, but not in that order
    assert await found(client, clerk, name_contains="刘") == ([], 0)
    # It combines with the other filters, and the exact search is unchanged.
    assert await found(client, clerk, name_contains="秀", name="张桂兰") == ([zhang], 1)
    assert await found(client, clerk, name_contains="秀", special_family=True) == ([], 0)
    assert await found(client, clerk, name="秀英") == ([], 0)


async def test_a_name_with_every_pair_but_not_the_text_is_not_listed(client, token):
    # 张秀英秀 holds both pairs of 秀英秀英 (秀英, 英秀) but not 秀英秀英 itself.
    family = await register(client, token, named("张秀英秀", "王建国", "王小明"))
    clerk = bearer(token(role="clerk"))
    items, _total = await found(client, clerk, name_contains="秀英秀英")
    assert items == []
    assert await found(client, clerk, name_contains="秀英秀") == ([family], 1)
    # The family dropped from the page was never shown, so it is not logged as read by the search.
    log = (await client.get("/v1/access-log", params={"family_id": family},
                            headers=bearer(token(role="auditor", region="370306")))).json()["items"]
    assert [e["endpoint"] for e in log] == ["POST /v1/families", "GET /v1/families"]


async def test_latin_names_are_found_case_and_space_blind(client, token):
    family = await register(client, token, named("Mary Anne", "王建国", "王小明"))
    clerk = bearer(token(role="clerk"))
    assert await found(client, clerk, name_contains="yan") == ([family], 1)  # across the space
    assert await found(client, clerk, name_contains="ＭＡＲＹ") == ([family], 1)  # full-width, as typed on a phone


async def test_pages_of_a_partial_name_search_visit_every_family_once(client, token):
    ids = [await register(client, token, named("李秀英", "王建国", "王小明", mother_birth=date(1960 + i, 1, 2),
                                               father_birth=date(1958 + i, 3, 4)))
           for i in range(3)]
    clerk = bearer(token(role="clerk"))
    seen, params = [], {"name_contains": "秀", "limit": 2}
    while True:
        page = (await client.get("/v1/families", params=params, headers=clerk)).json()
        assert page["total"] == 3
        seen += [f["id"] for f in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ids


async def test_the_last_4_or_6_characters_of_an_id_number(client, token):
    mother_id = id_ending_in_x("370306", date(1965, 3, 2), "female")
    first = named("李秀英", "王建国", "王小明")
    first["mother"]["id_number"] = mother_id
    one = await register(client, token, first)
    second = named("张桂兰", "赵志强", "赵秀梅")
    # Sequences of their own: no number of this family can end as the mother's above.
    for person, birth, sex, sequence in (("mother", date(1966, 4, 12), "female", 10),
                                         ("father", date(1965, 9, 20), "male", 11), ("child", date(1990, 5, 1), "male", 12)):
        second[person]["id_number"] = id_number("370306", birth, sex, sequence)
    other = await register(client, token, second)
    clerk = bearer(token(role="clerk"))
    assert await found(client, clerk, id_number_tail=mother_id[-4:]) == ([one], 1)
    assert await found(client, clerk, id_number_tail=mother_id[-6:]) == ([one], 1)
    assert await found(client, clerk, id_number_tail=mother_id[-6:].lower()) == ([one], 1)  # x or X
    assert await found(client, clerk, id_number_tail=mother_id[-4:].lower()) == ([one], 1)
    child_id = first["child"]["id_number"]
    assert await found(client, clerk, id_number_tail=child_id[-6:]) == ([one], 1)  # the child's too
    # The same last 4 with a different fifth-last character is another number.
    wrong_fifth = str((int(mother_id[-5]) + 1) % 10)
    assert await found(client, clerk, id_number_tail=mother_id[-6] + wrong_fifth + mother_id[-4:]) == ([], 0)
    assert await found(client, clerk, id_number_tail=mother_id[-4:], name_contains="张") == ([], 0)
    assert other not in (await found(client, clerk, id_number_tail=mother_id[-4:]))[0]


async def test_a_tail_of_another_length_or_with_letters_is_refused(client, token):
    clerk = bearer(token(role="clerk"))
    for tail in ("123", "12345", "1234567", "12X4", "X234", "12345Y", "", "１２３４５６７", "١٢٣٤"):
        response = await client.get("/v1/families", params={"id_number_tail": tail}, headers=clerk)
        assert response.status_code == 422, tail
        body = response.json()
        assert (body["code"], body["field"]) == ("id-number-tail-invalid", "query.id_number_tail")
        assert body["errors"][0]["detail"] == "请输入身份证号的后4位或后6位"
    # Full-width digits, as some input methods type them, are the same digits.
    assert (await client.get("/v1/families", params={"id_number_tail": "１２３４"}, headers=clerk)).status_code == 200


async def test_another_regions_clerk_finds_nothing(client, token):
    body = named("李秀英", "王建国", "王小明")
    await register(client, token, body)
    hubei = bearer(token(role="clerk", region="420102"))
    assert await found(client, hubei, name_contains="秀") == ([], 0)
    assert await found(client, hubei, name_contains="李秀英") == ([], 0)
    assert await found(client, hubei, id_number_tail=body["mother"]["id_number"][-4:]) == ([], 0)
    assert await found(client, hubei, id_number_tail=body["mother"]["id_number"][-6:]) == ([], 0)
    province = bearer(token(role="clerk", region="370000"))
    assert len((await found(client, province, name_contains="秀"))[0]) == 1  # the province covers Zhoucun
