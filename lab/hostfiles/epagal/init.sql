create table zonas (id serial primary key, nombre text not null unique);
create table incidencias (
  id serial primary key,
  zona_id int not null references zonas(id),
  tipo text not null,
  descripcion text,
  estado text not null default 'abierta',
  creada timestamptz not null default now()
);
insert into zonas (nombre) values ('norte'), ('centro'), ('sur');
insert into incidencias (zona_id, tipo, descripcion, estado, creada)
select 1 + (g % 3), (array['contenedor_lleno','contenedor_roto','vertido','recogida_fallida'])[1 + g % 4],
       'incidencia de prueba ' || g, (array['abierta','en_ruta','resuelta'])[1 + g % 3],
       now() - (g || ' hours')::interval
from generate_series(1, 42) g;
