"""What can stop a page: not signed in, not allowed, a service refusing, a service away.

Each is turned into a page by ``errors.py``; a form that can show the refusal in place catches
:class:`ServiceRefused` itself and renders the form again with the service's own words.
"""

from __future__ import annotations

from typing import Any

from tefu_console.formats import field_label


class SignInRequired(Exception):
    """No session, or it ended: sign in (again)."""

    def __init__(self, return_to: str = "/", *, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.return_to = return_to
        self.expired = expired


class NotAllowed(Exception):
    """The person's role does not allow this page (the 403 page)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class CsrfRefused(NotAllowed):
    def __init__(self) -> None:
        super().__init__("表单已失效或不是从本系统提交的，请返回页面刷新后重试。")


class ServiceRefused(Exception):
    """A service answered 4xx: its problem+json, read for people (Chinese ``detail``, field errors)."""

    def __init__(self, status: int, problem: dict[str, Any], service: str) -> None:
        self.status = status
        self.problem = problem
        self.service = service
        self.code = str(problem.get("code") or "")
        self.detail = str(problem.get("detail") or problem.get("title") or f"{service}拒绝了请求（HTTP {status}）")
        super().__init__(self.detail)

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Each field at fault (``body.mother.id_number``) with the service's reasons."""
        found: dict[str, list[str]] = {}
        for error in self.problem.get("errors") or []:
            found.setdefault(str(error.get("field", "")), []).append(str(error.get("detail", "")))
        if not found and self.problem.get("field"):
            found[str(self.problem["field"])] = [self.detail]
        return found

    @property
    def message(self) -> str:
        """The page-level message: with field errors in place, a summary; otherwise the detail."""
        errors = self.problem.get("errors") or []
        if errors:
            # Every reason is also listed here, so that none is lost if the form has no input of that name.
            reasons = "；".join(f"{field_label(str(e.get('field', '')))}：{e.get('detail', '')}" for e in errors[:10])
            return f"有 {len(errors)} 处需要修改（已在相应栏目旁标出）：{reasons}"
        return self.detail
