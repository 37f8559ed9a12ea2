from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from marketplace.core import views as core_views

# A refused page (PermissionDenied) is recorded as a security event, then Django's 403.
handler403 = "marketplace.accounts.views.permission_denied"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("marketplace.accounts.urls")),
    path("", include("listings.urls")),
    path("", include("orders.urls")),
    path("", include("orders.conversations.urls")),
    path("", include("orders.rfqs.urls")),
    path("", include("orders.quotes.urls")),
    path("", include("orders.documents.urls")),
    path("", include("payments.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("marketplace.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file (no inline script); Swagger UI's
    # stylesheet draws its icons from data: URIs, allowed as images on this page only.
    path(
        "api/docs/",
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]

if settings.BENCH_VIEWS:
    from listings import bench_views

    urlpatterns += [
        path("bench/listing/<int:pk>/", bench_views.listing_ceiling, name="bench-listing")
    ]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
