import pytest

from tefu_common.masking import mask, mask_account, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("张", "*"),
        ("欧阳娜娜", "欧**娜"),
        ("买买提·艾力", "买****力"),
        (" 李四 ", "李*"),
        ("John Smith", "J********h"),
        ("Al", "A*"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_id_number():
    assert mask_id_number("11010519491231002X") == "**************002X"
    assert mask_id_number("130503670401001") == "***********1001"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-62345678") == "010*****5678"
    assert mask_phone("62345678") == "****5678"


def test_mask_account():
    assert mask_account("6222020200112233445") == "***************3445"
    assert len(mask_account("6222020200112233445")) == 19


def test_mask_keeps_length_and_never_shows_a_short_value_whole():
    assert mask("abcdef", keep_start=2, keep_end=2) == "ab**ef"
    assert mask("abcd", keep_start=2, keep_end=2) == "****"
    assert mask("abc", keep_end=4) == "***"
    assert mask("abc") == "***"
    with pytest.raises(ValueError):
        mask("abc", keep_end=-1)
