"""What is wrong with the rule files, found when the service starts.

Whoever edits a rule file (a policy officer, or the developer beside them) reads these: each has
a stable ``code``, the fault in Chinese and in English, and ``where``: the file and the place in
it (``370306-zhoucun.yaml: rules[2] (pension_supplement).conditions``). The service refuses to
start with one of them, and its text gives both languages, each on a line of its own.
"""

from __future__ import annotations

from tefu_common.i18n import Language, Text


class CatalogueError(ValueError):
    """The rule files are inconsistent; the message names the file and the place."""

    def __init__(self, code: str, zh: str, en: str, *, where: str = "") -> None:
        self.code = code
        self.message = Text(zh, en)
        self.where = where
        super().__init__(code)

    def render(self, language: Language | None = None) -> str:
        text = self.message.render(language)
        if not self.where:
            return text
        return f"{self.where}{'：' if (language or 'zh') == 'zh' else ': '}{text}"

    def within(self, where: str) -> CatalogueError:
        """The same fault, placed inside ``where`` (a file, or a place in one)."""
        place = f"{where}: {self.where}" if self.where else where
        return type(self)(self.code, self.message.zh, self.message.en, where=place)

    def __str__(self) -> str:
        return f"{self.render('en')}\n{self.render('zh')}"


class ConditionError(CatalogueError):
    """A condition in a rule file is malformed."""
