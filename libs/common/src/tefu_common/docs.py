"""``/docs`` (Swagger UI) and ``/redoc`` served from files installed with the suite.

County and hospital intranets are often cut off from the internet, and FastAPI's default pages
load Swagger UI from a public CDN: there they are blank. The scripts, styles and icon come from
the ``fastapi-offline`` package (a maintained bundle of Swagger UI and ReDoc) and are served by the
service itself under ``/docs/assets/``. Nothing on either page reaches beyond the service: no
fonts from Google, no validator badge from swagger.io.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_PATH = "/docs/assets"
_ASSETS = resources.files("fastapi_offline") / "static"

SWAGGER_PARAMETERS = {
    "validatorUrl": None,  # the default asks swagger.io to validate the document
    "persistAuthorization": True,  # a pasted token survives a reload of the page
    "displayRequestDuration": True,
    "docExpansion": "none",
    "defaultModelsExpandDepth": 0,
}


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets locally. The app must be made with ``docs_url=None,
    redoc_url=None`` so FastAPI's CDN pages do not exist beside these."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(_ASSETS)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title}：接口文档",
            oauth2_redirect_url=f"{root}{oauth2_redirect}",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title}：接口文档",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
