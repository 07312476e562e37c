from django.urls import URLPattern, URLResolver

app_name = "demands"
urlpatterns: list[URLPattern | URLResolver] = []
