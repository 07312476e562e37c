from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_index_view, name="index"),
    path("template/<str:kind>.<str:fmt>", views.template_view, name="template"),
    path("export/<str:what>.<str:fmt>", views.export_view, name="export"),
    path("<str:token>/", views.job_view, name="job"),
    path("<str:token>/repeat/", views.job_repeat_view, name="repeat"),
    path("<str:token>/errors.csv", views.job_errors_view, name="errors"),
]
