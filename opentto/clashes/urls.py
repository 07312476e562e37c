from django.urls import path

from . import views

app_name = "clashes"
urlpatterns = [
    path("", views.hold_list_view, name="list"),
    path("<int:pk>/", views.hold_detail_view, name="hold"),
]
