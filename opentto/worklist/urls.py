from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "worklist"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.worklist_view, name="index"),
    path("bulk/", views.worklist_bulk_view, name="bulk"),
]
