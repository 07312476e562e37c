from django.urls import path

from . import views as showcase

app_name = "showcase"
urlpatterns = [
    path("", showcase.showcase_list_view, name="list"),
    path("sitemap.xml", showcase.showcase_sitemap_view, name="sitemap"),
    path("<int:pk>/", showcase.showcase_detail_view, name="detail_short"),
    path("<int:pk>-<slug:slug>/", showcase.showcase_detail_view, name="detail"),
    path("<int:pk>/interest/", showcase.showcase_interest_view, name="interest"),
]
